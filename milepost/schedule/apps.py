from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "milepost.schedule"
    label = "schedule"
