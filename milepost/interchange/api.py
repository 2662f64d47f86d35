"""Interchange's endpoints, one module per area, assembled into the one router the API mounts."""

from ninja import Router

from .exports import api as exports
from .ocds import api as ocds
from .programmes import api as programmes
from .sheets import api as sheets
from .templating import api as templating

router = Router(tags=["interchange"])
for area in (templating, sheets, exports, programmes, ocds):
    router.add_router("", area.router)
