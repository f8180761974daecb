"""Idempotency on PostgreSQL under concurrent retries, through the real request stack."""

import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from audit.models import AuditEntry
from idempotency.enums import IdempotencyState
from idempotency.models import IdempotencyKey
from idempotency.tests import urls as test_urls
from idempotency.tests.factories import UserFactory

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("idempotency.tests.urls"),
]


def effects() -> int:
    return AuditEntry.objects.filter(action="test.effect").count()


def post_effect(user, body: dict, key: str):
    client = APIClient()
    client.force_authenticate(user)
    try:
        return client.post("/api/test/effects", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    finally:
        connection.close()


@pytest.fixture
def held_requests():
    test_urls.release_held.clear()
    yield test_urls.release_held
    test_urls.release_held.set()


def test_fifty_concurrent_retries_with_one_key_have_exactly_one_effect():
    user = UserFactory(roles=["trader"])
    clients = 50
    start = threading.Barrier(clients)
    responses = [None] * clients

    def send(index: int) -> None:
        start.wait()
        responses[index] = post_effect(user, {"name": "once"}, "retry-1")

    threads = [threading.Thread(target=send, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = post_effect(user, {"name": "once"}, "retry-1")

    statuses = {response.status_code for response in responses}
    created = [response for response in responses if response.status_code == 201]
    originals = [response for response in created if "Idempotent-Replayed" not in response]
    assert effects() == 1
    assert statuses <= {201, 409}
    assert len(originals) == 1
    assert {response.content for response in created} == {originals[0].content}
    assert final.status_code == 201
    assert final["Idempotent-Replayed"] == "true"
    assert final.content == originals[0].content
    assert IdempotencyKey.objects.get().state == IdempotencyState.COMPLETED


def test_same_key_with_another_body_is_422():
    user = UserFactory(roles=["trader"])
    post_effect(user, {"name": "a"}, "k1")

    response = post_effect(user, {"name": "b"}, "k1")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert effects() == 1


def test_retry_while_the_first_is_in_flight_is_409_then_replays(held_requests):
    user = UserFactory(roles=["trader"])
    first: list = []
    holder = threading.Thread(
        target=lambda: first.append(post_effect(user, {"name": "a", "hold": True}, "k1"))
    )
    holder.start()
    deadline = time.monotonic() + 10
    while not IdempotencyKey.objects.filter(state=IdempotencyState.IN_FLIGHT).exists():
        assert time.monotonic() < deadline, "the first request never claimed its key"

    during = post_effect(user, {"name": "a", "hold": True}, "k1")
    held_requests.set()
    holder.join()
    after = post_effect(user, {"name": "a", "hold": True}, "k1")

    assert during.status_code == 409
    assert during.json()["error"]["code"] == "IDEMPOTENCY_IN_FLIGHT"
    assert first[0].status_code == 201
    assert after["Idempotent-Replayed"] == "true"
    assert after.content == first[0].content
    assert effects() == 1
