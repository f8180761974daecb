"""The dashboard's pages: server-rendered shells that the browser fills from the API."""

from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.views.generic import TemplateView

# Copied from node_modules by `npm run build` (make install); absent when Node was missing.
CHARTS_LIBRARY = "dashboard/vendor/lightweight-charts.js"


class DashboardPageView(TemplateView):
    """A page of the console; it carries no account data, the browser fetches it with a JWT."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["default_symbol"] = settings.DASHBOARD_DEFAULT_SYMBOL
        context["refresh_margin_s"] = settings.DASHBOARD_REFRESH_MARGIN_S
        context["charts_available"] = charts_available()
        return context


def charts_available() -> bool:
    """Whether the charting library was built into the static files."""
    return finders.find(CHARTS_LIBRARY) is not None
