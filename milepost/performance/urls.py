"""Performance forms posted from a milestone's page."""

from django.urls import path

from . import views

app_name = "performance"
urlpatterns = [
    path("milestones/<int:pk>/measurements/", views.post_measurement, name="measurement"),
    path("milestones/<int:pk>/measurements/correct/", views.post_correction, name="correction"),
    path("milestones/<int:pk>/service-credits/", views.post_credit_terms, name="credit-terms"),
]
