"""The same middleware and hooks under the ASGI handler the server runs (sync code off the loop)."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from audit.models import AuditEntry
from idempotency.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("idempotency.tests.urls")]


async def test_replay_and_audit_actor_under_asgi(async_client):
    trader = await sync_to_async(UserFactory)(username="asgi", roles=["trader"])
    await async_client.aforce_login(trader)

    first = await async_client.post(
        "/api/test/effects",
        {"name": "a"},
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    retry = await async_client.post(
        "/api/test/effects",
        {"name": "a"},
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )

    rows = await sync_to_async(list)(
        AuditEntry.objects.order_by("id").values_list("action", "actor_username", "status_code")
    )
    # The worker thread's connection would otherwise outlive the test database.
    await sync_to_async(connections.close_all)()
    assert first.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert rows == [
        ("test.effect", "asgi", None),
        ("api.request", "asgi", 201),
        ("api.request", "asgi", 201),
    ]
