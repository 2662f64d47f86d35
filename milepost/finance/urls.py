from django.urls import URLPattern, URLResolver

from .cycles import urls as cycles
from .damages import urls as damages
from .outlook import urls as outlook
from .retention import urls as retention

app_name = "finance"
urlpatterns: list[URLPattern | URLResolver] = [
    *cycles.urlpatterns,
    *retention.urlpatterns,
    *damages.urlpatterns,
    *outlook.urlpatterns,
]
