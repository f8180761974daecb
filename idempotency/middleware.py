"""Stores the response of a claimed idempotent call, or answers a replay with the stored one."""

import logging

from django.db import DatabaseError
from django.http import HttpResponse

from idempotency.models import IdempotencyKey
from idempotency.services import idempotency_key_complete, idempotency_key_release

logger = logging.getLogger(__name__)

REPLAYED_HEADER = "Idempotent-Replayed"


def replay_response(record: IdempotencyKey, current: HttpResponse) -> HttpResponse:
    """Return the stored status, body and headers, marked as a replay.

    The rate-limit headers are this request's own, taken from `current`.
    """
    response = HttpResponse(record.response_body.encode("utf-8"), status=record.response_status)
    for name, value in record.response_headers.items():
        response[name] = value
    for name, value in current.headers.items():
        if name.lower().startswith("x-ratelimit-"):
            response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


class IdempotencyMiddleware:
    """Placed after authentication middleware; the claim itself happens in IdempotencyGate.

    2xx and 4xx responses are stored and replayed; a 5xx (or a streaming response) releases the
    claim so the client's retry runs the call again: a server error means the outcome is not a
    result worth repeating, and every service rolls back its transaction on an exception.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        replay = getattr(request, "idempotency_replay", None)
        if replay is not None:
            return replay_response(replay, response)
        claim_id = getattr(request, "idempotency_claim_id", None)
        if claim_id is None:
            return response
        try:
            if response.status_code >= 500 or response.streaming:
                idempotency_key_release(claim_id=claim_id)
            else:
                idempotency_key_complete(
                    claim_id=claim_id,
                    status=response.status_code,
                    headers=response.headers,
                    body=response.content.decode("utf-8", errors="replace"),
                )
        except DatabaseError:
            # The response already happened; a key left in flight expires with its lease.
            logger.exception("could not store the idempotent response of claim %s", claim_id)
        return response
