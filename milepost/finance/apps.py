from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "milepost.finance"
    label = "finance"
    verbose_name = "Contract money: payment cycles, retention, delay damages, cash flow"

    def ready(self) -> None:
        # How each area's events read: registered with the audit sentences when Django starts.
        from .cycles import sentences as _cycles  # noqa: F401
        from .damages import sentences as _damages  # noqa: F401
        from .retention import sentences as _retention  # noqa: F401
