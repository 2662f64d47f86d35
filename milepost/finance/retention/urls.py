"""The retention page; assembled in ``milepost.finance.urls`` (namespace ``finance``)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/retention/", views.contract_retention, name="retention"),
    path(
        "milestones/<int:pk>/retention-release/fix/",
        views.release_fix,
        name="retention-release-fix",
    ),
]
