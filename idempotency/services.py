"""Claim, complete, release and purge idempotency keys."""

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import canonical_json
from idempotency.enums import IdempotencyState
from idempotency.errors import IdempotencyInFlight, IdempotencyKeyInvalid, IdempotencyKeyReused
from idempotency.models import IdempotencyKey

KEY_MAX_LENGTH = 255
# Response headers worth replaying; everything else is per-response (request id, rate limits).
REPLAYED_HEADERS = ("Content-Type", "Location")
# A claim is retried this many times when the row it collided with vanished meanwhile.
_CLAIM_ATTEMPTS = 3


@dataclass(frozen=True)
class Claim:
    """Result of a claim: a fresh key to execute under, or a completed one to replay."""

    record: IdempotencyKey
    is_replay: bool


def idempotency_fingerprint(*, method: str, path: str, body: object) -> str:
    """Return sha256 of the method, path and canonical JSON of the parsed body."""
    payload = f"{method.upper()}\n{path}\n{canonical_json(body)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _validate_key(key: str) -> None:
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise IdempotencyKeyInvalid(
            f"Idempotency-Key must be 1 to {KEY_MAX_LENGTH} printable characters"
        )


def _claim_insert(**fields: Any) -> IdempotencyKey:
    # Outside a transaction (a request) the INSERT is one autocommitted statement: a duplicate
    # key fails it alone. Inside one, a savepoint keeps the surrounding transaction usable.
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return IdempotencyKey.objects.create(**fields)
    return IdempotencyKey.objects.create(**fields)


def idempotency_key_claim(
    *, owner: str, route: str, key: str, fingerprint: str, now: datetime.datetime | None = None
) -> Claim:
    """Claim `key` for (owner, route) by inserting its row, or return the completed one to replay.

    Raises IdempotencyKeyReused when the key was used with another payload and IdempotencyInFlight
    while the first request holds it. Expired keys and abandoned claims (older than the lease) are
    removed and the claim retried, so a key is never stuck.
    """
    _validate_key(key)
    now = now or timezone.now()
    lease_start = now - datetime.timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_LEASE_S)
    for _attempt in range(_CLAIM_ATTEMPTS):
        try:
            record = _claim_insert(
                owner=owner,
                route=route,
                key=key,
                fingerprint=fingerprint,
                state=IdempotencyState.IN_FLIGHT,
                created_at=now,
                expires_at=now + datetime.timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_S),
            )
            return Claim(record=record, is_replay=False)
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(owner=owner, route=route, key=key).first()
        if existing is None:
            continue
        is_abandoned = existing.state == IdempotencyState.IN_FLIGHT and (
            existing.created_at < lease_start
        )
        if existing.expires_at <= now or is_abandoned:
            # Conditional delete: of two racing cleaners only one removes the row.
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request",
                details={"idempotency_key": key},
            )
        if existing.state == IdempotencyState.IN_FLIGHT:
            raise IdempotencyInFlight(
                "A request with this Idempotency-Key is still being processed; retry later",
                details={"idempotency_key": key},
            )
        return Claim(record=existing, is_replay=True)
    raise IdempotencyInFlight(
        "A request with this Idempotency-Key is contended; retry later",
        details={"idempotency_key": key},
    )


def idempotency_key_complete(
    *, claim_id: int, status: int, headers: Mapping[str, str], body: str
) -> int:
    """Store the response on a claim still in flight; return the number of rows updated (0 or 1)."""
    return IdempotencyKey.objects.filter(pk=claim_id, state=IdempotencyState.IN_FLIGHT).update(
        state=IdempotencyState.COMPLETED,
        response_status=status,
        response_headers={name: headers[name] for name in REPLAYED_HEADERS if name in headers},
        response_body=body,
    )


def idempotency_key_release(*, claim_id: int) -> int:
    """Drop a claim still in flight (its request failed with 5xx), so a retry can run it again."""
    deleted, _ = IdempotencyKey.objects.filter(
        pk=claim_id, state=IdempotencyState.IN_FLIGHT
    ).delete()
    return deleted


def idempotency_key_purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete keys past their expiry; return how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
