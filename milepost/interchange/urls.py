from django.urls import URLPattern, URLResolver

from .exports import urls as exports
from .ocds import urls as ocds
from .programmes import urls as programmes
from .sheets import urls as sheets
from .templating import urls as templating

app_name = "interchange"
urlpatterns: list[URLPattern | URLResolver] = [
    *templating.urlpatterns,
    *sheets.urlpatterns,
    *exports.urlpatterns,
    *programmes.urlpatterns,
    *ocds.urlpatterns,
]
