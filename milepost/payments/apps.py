from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "milepost.payments"
    label = "payments"

    def ready(self) -> None:
        # Change requests (in schedule, below us) preview and apply payment amounts through this.
        from milepost.schedule.consequences import register_payments

        from .selectors import payment_lines_for_contract
        from .services import payment_amount_agree

        register_payments(read=payment_lines_for_contract, write=payment_amount_agree)
