"""Routes of risk configuration and overrides: /config, /config/risk, /risk/overrides."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from risk import api

router = SimpleRouter()
# Routes are slash-less as in the contract; a trailing slash is tolerated.
router.trailing_slash = "/?"
router.register("risk/overrides", api.RiskOverrideViewSet, basename="risk-override")

urlpatterns = [
    path("config", api.ConfigView.as_view(), name="config"),
    path("config/risk", api.RiskConfigView.as_view(), name="config-risk"),
    *router.urls,
]
