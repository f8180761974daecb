"""Idempotency errors (codes in docs/errors.md)."""

from kernel.errors import ApplicationError


class IdempotencyKeyReused(ApplicationError):
    code = "IDEMPOTENCY_KEY_REUSED"
    status_code = 422


class IdempotencyInFlight(ApplicationError):
    code = "IDEMPOTENCY_IN_FLIGHT"
    status_code = 409


class IdempotencyKeyInvalid(ApplicationError):
    code = "IDEMPOTENCY_KEY_INVALID"
    status_code = 400
