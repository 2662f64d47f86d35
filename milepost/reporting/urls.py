from django.urls import path

from . import views
from .reports import urls as report_urls

app_name = "reporting"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("milestones/", views.milestone_list, name="milestone-list"),
    path("contracts/", views.contract_list, name="contract-list"),
    path("search/", views.search, name="search"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract-detail"),
]
urlpatterns += report_urls.urlpatterns
