from django.urls import path

from milepost.accounts import views as account_views

from . import edit_views, views

app_name = "web"
urlpatterns = [
    path("contracts/", views.contract_list, name="contract-list"),
    path("contracts/new/", edit_views.contract_new, name="contract-new"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract-detail"),
    path("contracts/<int:pk>/edit/", edit_views.contract_edit, name="contract-edit"),
    path("contracts/<int:pk>/status/", edit_views.contract_status, name="contract-status"),
    path("contracts/<int:pk>/parties/", edit_views.party_new, name="party-new"),
    path(
        "contracts/<int:pk>/parties/<int:party_id>/remove/",
        edit_views.party_delete,
        name="party-remove",
    ),
    path(
        "contracts/<int:pk>/milestones/new/<slug:kind>/",
        edit_views.milestone_new,
        name="milestone-new",
    ),
    path("milestones/<int:pk>/", views.milestone_detail, name="milestone-detail"),
    path("milestones/<int:pk>/edit/", edit_views.milestone_edit, name="milestone-edit"),
    path(
        "milestones/<int:pk>/dependencies/",
        edit_views.milestone_dependencies,
        name="milestone-dependencies",
    ),
    path(
        "milestones/<int:pk>/dependencies/<int:dependency_id>/remove/",
        edit_views.dependency_delete,
        name="dependency-remove",
    ),
    path("milestones/<int:pk>/updates/", views.post_status_update, name="milestone-update"),
    path("milestones/<int:pk>/comments/", views.post_comment, name="milestone-comment"),
    path("milestones/<int:pk>/evidence/", views.post_evidence, name="milestone-evidence"),
    path(
        "milestones/<int:pk>/evidence/<int:evidence_id>/",
        views.evidence_download,
        name="evidence-download",
    ),
    path("milestones/<int:pk>/acceptance/", views.post_acceptance, name="milestone-acceptance"),
    path("milestones/<int:pk>/gate-decisions/", views.post_gate_decision, name="gate-decision"),
    path("milestones/<int:pk>/invoice/", views.post_invoice, name="payment-invoice"),
    path("milestones/<int:pk>/paid/", views.post_paid, name="payment-paid"),
    path("milestones/<int:pk>/measurements/", views.post_measurement, name="measurement"),
    path("milestones/<int:pk>/status/", views.post_status, name="milestone-status"),
    path("milestones/<int:pk>/reschedule/", views.post_reschedule, name="milestone-reschedule"),
    path("account/profile/", account_views.profile, name="profile"),
    path("account/tokens/", views.token_list, name="token-list"),
    path("account/tokens/<int:pk>/revoke/", views.post_token_revoke, name="token-revoke"),
]
