"""Alerts pages: each area's views module lists its own URLs."""

from django.urls import include, path

urlpatterns = [
    path("", include("milepost.alerts.views.inbox")),
    path("", include("milepost.alerts.views.rules")),
    path("", include("milepost.alerts.views.webhooks")),
    path("", include("milepost.alerts.views.feeds")),
    path("", include("milepost.alerts.views.unsubscribe")),
    path("", include("milepost.alerts.views.actions")),
]
