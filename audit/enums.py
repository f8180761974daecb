"""Kinds of audit rows."""

from django.db import models


class AuditKind(models.TextChoices):
    API_CALL = "api_call", "API call"
    STATE_CHANGE = "state_change", "State change"
