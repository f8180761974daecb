"""Routes of market data: /instruments, /quotes, /candles, /orderbook."""

from django.urls import path

from marketdata import api

urlpatterns = [
    path("instruments", api.InstrumentListView.as_view(), name="instrument-list"),
    path("instruments/<str:symbol>", api.InstrumentDetailView.as_view(), name="instrument-detail"),
    path("quotes", api.QuoteListView.as_view(), name="quote-list"),
    path("quotes/<str:symbol>", api.QuoteDetailView.as_view(), name="quote-detail"),
    path("candles/<str:symbol>", api.CandleListView.as_view(), name="candle-list"),
    path("orderbook/<str:symbol>", api.OrderBookView.as_view(), name="orderbook"),
]
