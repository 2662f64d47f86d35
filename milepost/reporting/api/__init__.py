"""Reporting's endpoints, one module per area, assembled into the one router the API mounts."""

from ninja import Router

from . import money, reports, search

router = Router(tags=["reporting"])
router.add_router("", search.router)
router.add_router("", reports.router)
router.add_router("", money.router)
