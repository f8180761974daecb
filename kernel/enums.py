"""The trading vocabulary every layer shares."""

from django.db import models


class Side(models.TextChoices):
    """The direction of an order, a fill or a round trip."""

    BUY = "buy"
    SELL = "sell"
