"""Routes of risk and control: /config, /config/risk, /risk, /risk/overrides, /trading."""

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
    path("risk", api.RiskView.as_view(), name="risk"),
    path(
        "risk/circuit-breaker/reset",
        api.CircuitBreakerResetView.as_view(),
        name="risk-circuit-breaker-reset",
    ),
    *router.urls,
    path("trading", api.TradingView.as_view(), name="trading"),
    path("trading/start", api.TradingStartView.as_view(), name="trading-start"),
    path("trading/stop", api.TradingStopView.as_view(), name="trading-stop"),
    path("trading/reduce-only", api.TradingReduceOnlyView.as_view(), name="trading-reduce-only"),
]
