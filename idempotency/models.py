"""Idempotency keys: one row per (owner, route, key), claimed by INSERT, holding the response."""

from django.db import models

from idempotency.enums import IdempotencyState


class IdempotencyKey(models.Model):
    """A client's key for one mutating call; the unique constraint is the claim."""

    # "api_key:<key id>" or "user:<user id>": keys are scoped to the credential's owner.
    owner = models.CharField(max_length=100)
    # Method and path of the call, e.g. "POST /api/v1/orders".
    route = models.CharField(max_length=300)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(
        max_length=16, choices=IdempotencyState.choices, default=IdempotencyState.IN_FLIGHT
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "route", "key"], name="idempotency_key_unique_per_owner_route"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.route} {self.key} ({self.state})"
