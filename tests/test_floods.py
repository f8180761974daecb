"""Unauthenticated floods: limited by client IP before authentication, refused credentials
limited per IP and per key id, and a burst of failures costs a bounded number of audit rows."""

import pytest
from rest_framework.test import APIClient

from access.tests.helpers import key_make, simple_client
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _client(ip: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    return client


def test_refused_credentials_lock_the_source_out_after_the_limit(settings, reader_api):
    settings.RATE_LIMIT_AUTH_FAILURES = "5/d"
    attacker = _client("198.51.100.7")
    attacker.credentials(HTTP_AUTHORIZATION="Api-Key kguess.wrong")
    statuses = [attacker.get("/api/v1/balances").status_code for _ in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    locked = attacker.get("/api/v1/balances")
    assert locked.json()["error"]["code"] == "RATE_LIMITED"
    assert int(locked["Retry-After"]) >= 1
    # Another caller, from another address with a good key, is not affected.
    assert reader_api.get("/api/v1/balances").status_code == 200


def test_guessing_one_key_from_many_addresses_locks_that_key_id(settings, trader, account):
    settings.RATE_LIMIT_AUTH_FAILURES = "3/d"
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))
    for n in range(3):
        guesser = _client(f"203.0.113.{n}")
        guesser.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key.key_id}.wrong")
        assert guesser.get("/api/v1/balances").status_code == 401
    # The key id is now refused from anywhere for the rest of the window, the right secret too.
    owner = simple_client(api_key, secret)
    assert owner.get("/api/v1/balances").status_code == 429


def test_a_burst_of_failures_writes_two_rows_and_no_body(settings):
    settings.RATE_LIMIT_AUTH_FAILURES = "10/d"
    attacker = _client("198.51.100.8")
    attacker.credentials(HTTP_AUTHORIZATION="Api-Key kguess.wrong")
    for _ in range(40):
        attacker.post("/api/v1/orders?token=t", {"blob": "x" * 10_000}, format="json")
    rows = list(AuditEntry.objects.order_by("seq").values_list("action", "params"))
    assert rows == [("auth.failed", None), ("auth.flood", {"failures": 10})]


def test_every_request_of_one_address_is_limited_before_authentication(settings):
    settings.RATE_LIMIT_IP = "5/d"
    flooder = _client("198.51.100.9")
    statuses = [flooder.get("/api/v1/instruments").status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    # Load-balancer probes are never refused.
    assert flooder.get("/api/v1/health").status_code == 200
