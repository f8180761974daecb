"""Routes of balances and positions."""

from django.urls import path

from portfolio import api

urlpatterns = [
    path("portfolio", api.PortfolioView.as_view(), name="portfolio"),
    path("portfolio/equity", api.PortfolioEquityView.as_view(), name="portfolio-equity"),
    path("balances", api.BalanceListView.as_view(), name="balance-list"),
    path("positions", api.PositionListView.as_view(), name="position-list"),
    path("positions/<str:symbol>", api.PositionDetailView.as_view(), name="position-detail"),
]
