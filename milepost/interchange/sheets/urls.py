"""Pages of this area; included by ``milepost.interchange.urls``."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
