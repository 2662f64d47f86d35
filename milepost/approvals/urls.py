"""Approval forms posted from a milestone's page."""

from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("milestones/<int:pk>/gate-decisions/", views.post_gate_decision, name="gate-decision"),
]
