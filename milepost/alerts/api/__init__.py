"""The alerts Router: one per app, assembled from one module per area."""

from ninja import Router

from . import actions, feeds, inbox, rules, webhooks

router = Router()
for _area in (inbox, rules, webhooks, feeds, actions):
    router.add_router("/", _area.router)
