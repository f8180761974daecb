"""Replay marks and refresh rotation hold across processes (services mode: Redis, PostgreSQL)."""

import threading

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from rest_framework.test import APIClient

from access import errors
from access.credentials import api_key_verify_signature, signed_message
from access.tests.factories import PASSWORD
from access.tests.helpers import hmac_sign, key_make, now_ms

pytestmark = pytest.mark.services


def _process_cache() -> RedisCache:
    """A cache client of its own, as another web process would have."""
    return RedisCache(settings.CACHES["default"]["LOCATION"], settings.CACHES["default"])


@pytest.mark.django_db
def test_a_signature_seen_by_one_process_is_refused_by_another(trader, account):
    api_key, secret = key_make(user=trader, account=account, scheme="hmac")
    timestamp = str(now_ms())
    message = signed_message(timestamp=timestamp, method="GET", path="/api/v1/me")
    signed = {
        "key_id": api_key.key_id,
        "timestamp": timestamp,
        "signature": hmac_sign(secret, message),
        "message": message,
        "client_ip": "127.0.0.1",
        "now_ms": int(timestamp),
    }

    accepted = api_key_verify_signature(**signed, cache=_process_cache())

    assert accepted.pk == api_key.pk
    with pytest.raises(errors.ReplayedRequest):
        api_key_verify_signature(**signed, cache=_process_cache())


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_rotate_once(trader):
    refresh = (
        APIClient()
        .post("/api/v1/auth/token", {"username": "tom", "password": PASSWORD}, format="json")
        .json()["refresh"]
    )
    workers = 8
    barrier = threading.Barrier(workers)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt():
        try:
            barrier.wait(timeout=10)
            response = APIClient().post(
                "/api/v1/auth/token/refresh", {"refresh": refresh}, format="json"
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200] + [401] * (workers - 1)
