"""Routes of balances and the equity curve (positions: orders; the summary: control)."""

from django.urls import path

from portfolio import api

urlpatterns = [
    path("portfolio/equity", api.PortfolioEquityView.as_view(), name="portfolio-equity"),
    path("balances", api.BalanceListView.as_view(), name="balance-list"),
]
