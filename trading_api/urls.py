"""URL configuration: /api/v1/ (REST), /admin/, and the dashboard."""

from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path, re_path

from dashboard.urls import urlpatterns as dashboard_urls
from kernel.api.errors import api_not_found
from trading_api.api.docs import RedocView, SchemaView, SwaggerView
from trading_api.api.system import HealthView, StatusView

api_v1: list[URLPattern | URLResolver] = [
    path("health", HealthView.as_view(), name="health"),
    path("status", StatusView.as_view(), name="status"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("auth/", include("rest_framework.urls")),
    path("", include("audit.urls")),
    path("", include("access.urls")),
    path("", include("marketdata.urls")),
    path("", include("orders.urls")),
    path("", include("portfolio.urls")),
    path("", include("risk.urls")),
    path("", include("control.urls")),
    path("", include("analytics.urls")),
    path("", include("operations.urls")),
    path("", include("backtests.urls")),
    path("", include("deployments.urls")),
    # Anything else under /api/v1/ is a JSON 404, whatever DEBUG says.
    re_path(r"^.*$", api_not_found),
]

admin.site.site_header = "Trading back-office admin"
admin.site.site_title = "Trading back-office admin"
admin.site.index_title = "Risk, trading control, accounts and keys"

urlpatterns = [
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("favicon.svg"))),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/", api_not_found),
    # The dashboard: `/` (the console) and `/signin`.
    *dashboard_urls,
]
