from django.apps import AppConfig


class TradingApiConfig(AppConfig):
    name = "trading_api"
    verbose_name = "Trading back-office"
