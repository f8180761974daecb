"""Routes of trading control and the risk console."""

from django.urls import path

from control import api

urlpatterns = [
    path("risk", api.RiskView.as_view(), name="risk"),
    path(
        "risk/circuit-breaker/reset",
        api.CircuitBreakerResetView.as_view(),
        name="risk-circuit-breaker-reset",
    ),
    path("portfolio", api.PortfolioView.as_view(), name="portfolio"),
    path("trading", api.TradingView.as_view(), name="trading"),
    path("trading/start", api.TradingStartView.as_view(), name="trading-start"),
    path("trading/stop", api.TradingStopView.as_view(), name="trading-stop"),
    path("trading/reduce-only", api.TradingReduceOnlyView.as_view(), name="trading-reduce-only"),
]
