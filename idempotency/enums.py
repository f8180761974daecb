"""States of an idempotency key."""

from django.db import models


class IdempotencyState(models.TextChoices):
    IN_FLIGHT = "in_flight", "In flight"
    COMPLETED = "completed", "Completed"
