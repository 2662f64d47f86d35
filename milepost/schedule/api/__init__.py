"""The schedule's endpoints, one module per area, assembled into the one router the API mounts."""

from ninja import Router

from . import (
    acceptance,
    baselines,
    calendar,
    changes,
    critical,
    dependencies,
    forecasts,
    milestones,
    planning,
    records,
    risks,
)

# Operation ids are ninja's default, the endpoint's module path and function name, and clients
# generated from the API document are named after them. Endpoints that moved to their area's
# module keep the id they had in the module they came from.
OPERATION_ID_MODULES = {
    milestones: "milepost.schedule.api",
    records: "milepost.schedule.api",
    acceptance: "milepost.schedule.api",
    dependencies: "milepost.schedule.api",
    changes: "milepost.schedule.api.planning",
    calendar: "milepost.schedule.api.planning",
    forecasts: "milepost.schedule.api.analysis",
}
for _area, _module in OPERATION_ID_MODULES.items():
    for _path in _area.router.path_operations.values():
        for _operation in _path.operations:
            if _operation.operation_id is None:
                _operation.operation_id = f"{_module}_{_operation.view_func.__name__}".replace(
                    ".", "_"
                )

# Every area's operations are listed under "milestones" first, then their own tag, if any.
router = Router(tags=["milestones"])
for _area in (
    milestones,
    records,
    acceptance,
    dependencies,
    planning,
    changes,
    calendar,
    critical,
    forecasts,
    baselines,
    risks,
):
    router.add_router("/", _area.router)
