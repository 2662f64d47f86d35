"""Web pages of alerts, one module per area; each module has its own ``urlpatterns``."""
