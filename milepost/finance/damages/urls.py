from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/damages/", views.contract_damages, name="damages"),
    path("milestones/<int:pk>/damages/", views.milestone_damages, name="milestone-damages"),
    path(
        "milestones/<int:pk>/damages/remove/",
        views.milestone_damages_remove,
        name="milestone-damages-remove",
    ),
]
