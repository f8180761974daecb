"""Routes of strategies, backtests and sweeps."""

from django.urls import path

from backtests import api

urlpatterns = [
    path("strategies", api.StrategyListView.as_view(), name="strategy-list"),
    path("strategies/<str:name>", api.StrategyDetailView.as_view(), name="strategy-detail"),
    path("backtests", api.BacktestListView.as_view(), name="backtest-list"),
    path("backtests/sweeps", api.SweepListView.as_view(), name="sweep-list"),
    path("backtests/sweeps/<str:sweep_id>", api.SweepDetailView.as_view(), name="sweep-detail"),
    path("backtests/<str:backtest_id>", api.BacktestDetailView.as_view(), name="backtest-detail"),
]
