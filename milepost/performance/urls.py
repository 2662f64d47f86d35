"""Performance forms posted from a milestone's page."""

from django.urls import path

from . import views

app_name = "performance"
urlpatterns = [
    path("milestones/<int:pk>/measurements/", views.post_measurement, name="measurement"),
]
