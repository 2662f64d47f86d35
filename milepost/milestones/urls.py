"""Milestone pages: a milestone's page and its small forms, creating and editing one, and
saving a contract's edit form (its value moves percentage payments)."""

from django.urls import path

from . import update_views, views

app_name = "milestones"
urlpatterns = [
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract-edit"),
    path(
        "contracts/<int:pk>/milestones/new/<slug:kind>/",
        views.milestone_new,
        name="milestone-new",
    ),
    path("milestones/<int:pk>/", views.milestone_detail, name="milestone-detail"),
    path("milestones/<int:pk>/edit/", views.milestone_edit, name="milestone-edit"),
    path("milestones/<int:pk>/updates/", views.post_status_update, name="milestone-update"),
    path("milestones/<int:pk>/comments/", views.post_comment, name="milestone-comment"),
    path("milestones/<int:pk>/evidence/", views.post_evidence, name="milestone-evidence"),
    path(
        "milestones/<int:pk>/evidence/<int:evidence_id>/",
        views.evidence_download,
        name="evidence-download",
    ),
    path("milestones/<int:pk>/acceptance/", views.post_acceptance, name="milestone-acceptance"),
    path("milestones/<int:pk>/submission/", views.post_submission, name="milestone-submission"),
    path("milestones/<int:pk>/status/", views.post_status, name="milestone-status"),
    path("milestones/<int:pk>/reschedule/", views.post_reschedule, name="milestone-reschedule"),
    # Update requests: the signed link's page (no sign-in), a contract's rounds, one round.
    path("updates/<str:token>/", update_views.update_answer, name="update-answer"),
    path("contracts/<int:pk>/update-rounds/", update_views.update_rounds, name="update-rounds"),
    path(
        "contracts/<int:pk>/update-schedule/", update_views.update_schedule, name="update-schedule"
    ),
    path("update-rounds/<int:pk>/", update_views.update_round, name="update-round"),
    path(
        "update-requests/<int:pk>/withdraw/",
        update_views.update_request_withdraw,
        name="update-request-withdraw",
    ),
]
