"""Schedule pages: each area's views module lists its own URLs."""

from django.urls import include, path

urlpatterns = [
    path("", include("milepost.schedule.views.planning")),
    path("", include("milepost.schedule.views.changes")),
    path("", include("milepost.schedule.views.critical")),
    path("", include("milepost.schedule.views.forecasts")),
    path("", include("milepost.schedule.views.baselines")),
    path("", include("milepost.schedule.views.risks")),
    path("", include("milepost.schedule.views.calendar")),
    path("", include("milepost.schedule.views.dependencies")),
]
