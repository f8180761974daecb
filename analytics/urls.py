"""Routes of trades, performance and signals."""

from django.urls import path

from analytics import api

urlpatterns = [
    path("trades", api.TradeListView.as_view(), name="trade-list"),
    path("performance", api.PerformanceView.as_view(), name="performance"),
    path("signals", api.SignalListView.as_view(), name="signal-list"),
]
