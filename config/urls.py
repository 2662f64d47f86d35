from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("milepost.alerts.urls")),
    path("", include("milepost.schedule.urls")),
    path("", include("milepost.reporting.urls")),
    path("", include("milepost.contracts.urls")),
    path("", include("milepost.milestones.urls")),
    path("", include("milepost.payments.urls")),
    path("", include("milepost.performance.urls")),
    path("", include("milepost.approvals.urls")),
    path("", include("milepost.accounts.urls")),
    path("", include("milepost.interchange.urls")),
    path("", include("milepost.finance.urls")),
    path("", include("milepost.extraction.urls")),
    path("", include("milepost.communications.urls")),
]
