"""Pages of the contract's clock."""

from django.urls import URLPattern, path

from . import views

app_name = "communications"
urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/communications/", views.register, name="register"),
    path("contracts/<int:pk>/communications.csv", views.register_csv, name="register-csv"),
    path("contracts/<int:pk>/communications/new/", views.write, name="write"),
    path("contracts/<int:pk>/contract-data/", views.contract_data, name="contract-data"),
    path("communications/<int:pk>/", views.detail, name="detail"),
    path("communications/<int:pk>/answer/", views.answer, name="answer"),
    path("communications/<int:pk>/act/", views.act, name="act"),
    path(
        "communications/<int:pk>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
]
