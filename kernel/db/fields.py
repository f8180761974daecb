"""The one Decimal model field of the project."""

from django.db import models

from kernel.decimals import DECIMAL_MAX_DIGITS, DECIMAL_PLACES


def decimal_field(**kwargs) -> models.DecimalField:
    """Return a DecimalField with the project-wide digits and places (money, prices, sizes)."""
    return models.DecimalField(
        max_digits=DECIMAL_MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs
    )


def decimal_output() -> models.DecimalField:
    """Return the output field of an expression that yields a project Decimal."""
    return models.DecimalField(max_digits=DECIMAL_MAX_DIGITS, decimal_places=DECIMAL_PLACES)
