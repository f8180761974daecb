"""The paper venue app: matching core and the engine component that fills orders."""

from django.apps import AppConfig


class VenueConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "venue"
