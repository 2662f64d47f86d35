from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "milepost.approvals"
    label = "approvals"
