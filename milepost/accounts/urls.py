"""A person's own account pages: the profile and the API tokens."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("account/profile/", views.profile, name="profile"),
    path("account/tokens/", views.token_list, name="token-list"),
    path("account/tokens/<int:pk>/revoke/", views.post_token_revoke, name="token-revoke"),
]
