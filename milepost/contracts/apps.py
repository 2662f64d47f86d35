from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "milepost.contracts"
    label = "contracts"
