"""The report pages' addresses, under the reporting app's namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.report_builder, name="report-builder"),
    path("reports/pdf/", views.report_pdf_download, name="report-pdf"),
    path("reports/issue/", views.report_issue_view, name="report-issue"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/pdf/", views.report_detail_pdf, name="report-detail-pdf"),
    path(
        "communications/<int:pk>/notice.pdf",
        views.communication_notice_pdf,
        name="communication-notice-pdf",
    ),
    path(
        "contracts/<int:pk>/report-subscriptions/new/",
        views.subscription_new,
        name="report-subscription-new",
    ),
    path(
        "report-subscriptions/<int:pk>/delete/",
        views.subscription_delete,
        name="report-subscription-delete",
    ),
]
