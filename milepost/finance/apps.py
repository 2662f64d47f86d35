from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "milepost.finance"
    label = "finance"
    verbose_name = "Contract money: payment cycles, retention, delay damages, cash flow"
