"""Idempotency through the real middleware and DRF hooks (embedded database)."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from idempotency.enums import IdempotencyState
from idempotency.models import IdempotencyKey
from idempotency.services import idempotency_fingerprint, idempotency_key_claim
from idempotency.tasks import idempotency_purge_expired
from idempotency.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("idempotency.tests.urls")]


def effects() -> int:
    return AuditEntry.objects.filter(action="test.effect").count()


@pytest.fixture
def trader():
    return UserFactory(roles=["trader"])


@pytest.fixture
def client(trader):
    api = APIClient()
    api.force_authenticate(trader)
    return api


def test_retry_with_same_key_and_body_replays_the_stored_response(client):
    first = client.post(
        "/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    retry = client.post(
        "/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert retry["Content-Type"] == "application/json"
    assert effects() == 1


def test_alias_header_is_the_same_key(client):
    client.post("/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    retry = client.post(
        "/api/test/effects", {"name": "a"}, format="json", HTTP_X_IDEMPOTENCY_KEY="k1"
    )

    assert retry["Idempotent-Replayed"] == "true"
    assert effects() == 1


def test_same_key_with_another_body_is_422_and_changes_nothing(client):
    client.post("/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    response = client.post(
        "/api/test/effects", {"name": "b"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert response.json()["error"]["details"] == {"idempotency_key": "k1"}
    assert effects() == 1


def test_body_key_order_does_not_change_the_fingerprint(client):
    client.post(
        "/api/test/effects",
        data=b'{"name": "a", "size": "1.50"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    retry = client.post(
        "/api/test/effects",
        data=b'{"size": "1.50", "name": "a"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )

    assert retry["Idempotent-Replayed"] == "true"
    assert effects() == 1


def test_same_key_with_another_query_string_is_422(client):
    client.post(
        "/api/test/effects?side=buy", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    response = client.post(
        "/api/test/effects?side=sell", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 422
    assert effects() == 1


def test_key_held_by_a_request_in_flight_is_409(client, trader):
    fingerprint = idempotency_fingerprint(
        method="POST", path="/api/test/effects", body={"name": "a"}
    )
    idempotency_key_claim(
        owner=f"user:{trader.pk}", route="POST /api/test/effects", key="k1", fingerprint=fingerprint
    )

    response = client.post(
        "/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "IDEMPOTENCY_IN_FLIGHT"
    assert effects() == 0


def test_abandoned_claim_past_its_lease_is_taken_over(client, trader, settings):
    long_ago = timezone.now() - datetime.timedelta(
        seconds=settings.IDEMPOTENCY_IN_FLIGHT_LEASE_S + 1
    )
    fingerprint = idempotency_fingerprint(
        method="POST", path="/api/test/effects", body={"name": "a"}
    )
    idempotency_key_claim(
        owner=f"user:{trader.pk}",
        route="POST /api/test/effects",
        key="k1",
        fingerprint=fingerprint,
        now=long_ago,
    )

    response = client.post(
        "/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 201
    assert effects() == 1


def test_keys_are_scoped_to_their_owner(client):
    other = APIClient()
    other.force_authenticate(UserFactory(roles=["trader"]))

    mine = client.post("/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    theirs = other.post(
        "/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert effects() == 2


def test_keys_are_scoped_to_their_route(client):
    client.post("/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    response = client.put(
        "/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 200
    assert effects() == 2


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_every_mutating_method_is_covered(client, method):
    send = getattr(client, method)

    first = send("/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    retry = send("/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert effects() == 1


def test_without_a_key_every_call_runs(client):
    client.post("/api/test/effects", {"name": "a"}, format="json")
    client.post("/api/test/effects", {"name": "a"}, format="json")

    assert effects() == 2
    assert IdempotencyKey.objects.count() == 0


def test_client_error_is_stored_and_replayed(client):
    first = client.post(
        "/api/test/validated", {"name": "too long"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    retry = client.post(
        "/api/test/validated", {"name": "too long"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert first.status_code == 400
    assert retry.status_code == 400
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["error"]["details"] == first.json()["error"]["details"]
    assert IdempotencyKey.objects.get().state == IdempotencyState.COMPLETED


def test_server_error_releases_the_claim_for_a_retry(client):
    response = client.post("/api/test/broken", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert response.status_code == 500
    assert IdempotencyKey.objects.count() == 0


def test_invalid_key_is_400(client):
    response = client.post(
        "/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert effects() == 0


def test_stored_key_expires_after_24_hours(client):
    client.post("/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    record = IdempotencyKey.objects.get()

    assert record.expires_at - record.created_at == datetime.timedelta(hours=24)
    assert record.owner.startswith("user:")
    assert record.route == "POST /api/test/effects"


def test_expired_key_runs_the_call_again(client):
    client.post("/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    IdempotencyKey.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = client.post(
        "/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert "Idempotent-Replayed" not in response
    assert effects() == 2


def test_purge_task_removes_only_expired_keys(client):
    client.post("/api/test/effects", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    client.post("/api/test/effects", {"name": "b"}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyKey.objects.filter(key="old").update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    purged = idempotency_purge_expired.delay().get()

    assert purged == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_purge_task_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["idempotency-purge-expired"]

    assert entry["task"] == "idempotency.tasks.idempotency_purge_expired"
