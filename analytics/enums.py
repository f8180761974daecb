"""Choices of the analytics app."""

from django.db import models


class SignalDirection(models.TextChoices):
    LONG = "long"
    SHORT = "short"
    FLAT = "flat"


class SignalDecision(models.TextChoices):
    TAKEN = "taken"
    SKIPPED = "skipped"
    REJECTED = "rejected"
