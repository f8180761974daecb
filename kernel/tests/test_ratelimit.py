"""Rate limits per credential and route class: headers, the first refused request, overrides."""

import pytest
from rest_framework.test import APIClient

from access.services import account_create, api_key_create, membership_add
from idempotency.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("idempotency.tests.urls")]


@pytest.fixture
def trader():
    return UserFactory(roles=["trader"])


@pytest.fixture
def client(trader):
    api = APIClient()
    api.force_authenticate(trader)
    return api


def test_data_response_carries_rate_limit_headers(clock, client):
    response = client.get("/api/test/data")

    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "10"
    assert response["X-RateLimit-Remaining"] == "9"
    assert response["X-RateLimit-Reset"] == "1"


def test_eleventh_data_request_in_one_second_is_the_first_refused(clock, client):
    statuses = [client.get("/api/test/data").status_code for _ in range(10)]
    eleventh = client.get("/api/test/data")

    assert statuses == [200] * 10
    assert eleventh.status_code == 429
    assert eleventh["Retry-After"] == "1"
    assert eleventh["X-RateLimit-Limit"] == "10"
    assert eleventh["X-RateLimit-Remaining"] == "0"
    error = eleventh.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["request_id"] == eleventh["X-Request-ID"]


def test_counter_starts_over_in_the_next_window(clock, client):
    for _ in range(11):
        client.get("/api/test/data")

    clock.now += 1
    response = client.get("/api/test/data")

    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "9"


def test_trading_class_allows_one_request_per_second(clock, client):
    first = client.post("/api/test/trading", {}, format="json")
    second = client.post("/api/test/trading", {}, format="json")

    assert first.status_code == 201
    assert first["X-RateLimit-Limit"] == "1"
    assert first["X-RateLimit-Remaining"] == "0"
    assert second.status_code == 429
    assert second["Retry-After"] == "1"


def test_trading_and_data_classes_count_separately(clock, client):
    client.post("/api/test/trading", {}, format="json")

    response = client.get("/api/test/data")

    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "9"


def test_undeclared_rate_class_is_data(clock, client):
    read = client.get("/api/test/default-class")
    write = client.post("/api/test/default-class", {}, format="json")

    assert read["X-RateLimit-Limit"] == "10"
    assert write["X-RateLimit-Limit"] == "10"
    assert write["X-RateLimit-Remaining"] == "8"


def test_refused_credential_gets_headers_of_the_ip_budget_without_counting(clock):
    anonymous = APIClient()

    responses = [anonymous.get("/api/test/data") for _ in range(12)]

    assert {r.status_code for r in responses} == {401}
    assert responses[-1]["X-RateLimit-Limit"] == "10"
    assert responses[-1]["X-RateLimit-Remaining"] == "10"
    assert responses[-1]["X-RateLimit-Reset"] == "1"


def test_unknown_api_path_carries_headers(clock, client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response["X-RateLimit-Limit"] == "10"


def test_replayed_response_carries_this_requests_rate_limit_headers(clock, client):
    client.post("/api/test/trading", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    clock.now += 1

    replay = client.post("/api/test/trading", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["X-RateLimit-Limit"] == "1"
    assert replay["X-RateLimit-Remaining"] == "0"


def test_each_credential_has_its_own_counter(clock, client):
    for _ in range(11):
        client.get("/api/test/data")
    other = APIClient()
    other.force_authenticate(UserFactory(roles=["viewer"]))

    response = other.get("/api/test/data")

    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "9"


def test_limits_come_from_settings(clock, client, settings):
    settings.RATE_LIMITS = {"data": "2/s", "trading": "1/s"}

    statuses = [client.get("/api/test/data").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_api_key_override_replaces_the_default_for_its_class(clock, trader):
    account = account_create(name="Rate")
    membership_add(user=trader, account=account)
    api_key, secret = api_key_create(
        user=trader,
        account=account,
        name="fast reads",
        scopes=["read"],
        rate_limits={"data": "3/s"},
    )
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key.key_id}.{secret}")

    responses = [keyed.get("/api/test/data") for _ in range(4)]

    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0]["X-RateLimit-Limit"] == "3"
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]


def test_api_key_and_its_user_are_counted_separately(clock, trader, client):
    account = account_create(name="Split")
    membership_add(user=trader, account=account)
    api_key, secret = api_key_create(user=trader, account=account, name="k", scopes=["read"])
    for _ in range(11):
        client.get("/api/test/data")
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key.key_id}.{secret}")

    response = keyed.get("/api/test/data")

    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "9"
