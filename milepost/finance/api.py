"""The finance app's endpoints, one module per area, assembled into the one router the API mounts."""

from ninja import Router

from .cycles import api as cycles
from .damages import api as damages
from .outlook import api as outlook
from .retention import api as retention

router = Router(tags=["finance"])
for area in (cycles, retention, damages, outlook):
    router.add_router("", area.router)
