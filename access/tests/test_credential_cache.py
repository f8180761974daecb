"""The in-process credential cache: no queries while fresh, changes seen within its bound."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.credential_cache import credential_cache
from access.models import ApiKey
from access.tests.helpers import key_make, simple_client

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


class FrozenClock:
    """The cache's monotonic clock, moved by hand (time is an edge)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch, settings):
    settings.AUTH_CACHE_TTL_S = 1.0
    frozen = FrozenClock()
    monkeypatch.setattr(credential_cache, "clock", frozen)
    return frozen


def _code(response) -> str:
    return response.json()["error"]["code"]


def test_a_warm_key_authenticates_without_a_query(trader, account, clock):
    api_key, secret = key_make(user=trader, account=account)
    client = simple_client(api_key, secret)
    assert client.get(ME).status_code == 200

    with CaptureQueriesContext(connection) as warm:
        response = client.get(ME)

    assert response.status_code == 200
    tables = " ".join(query["sql"] for query in warm.captured_queries)
    assert "access_apikey" not in tables
    assert "auth_group" not in tables


def test_a_revoke_made_elsewhere_takes_effect_once_the_entry_is_older_than_the_bound(
    trader, account, clock
):
    api_key, secret = key_make(user=trader, account=account)
    client = simple_client(api_key, secret)
    assert client.get(ME).status_code == 200
    # Another process revokes: this one hears no signal.
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())

    clock.now += 0.5
    within_bound = client.get(ME)
    clock.now += 0.5
    past_bound = client.get(ME)

    assert within_bound.status_code == 200
    assert past_bound.status_code == 401
    assert _code(past_bound) == "API_KEY_REVOKED"


def test_a_wrong_secret_is_refused_while_the_key_is_cached(trader, account, clock):
    api_key, secret = key_make(user=trader, account=account)
    assert simple_client(api_key, secret).get(ME).status_code == 200

    refused = simple_client(api_key, secret + "x").get(ME)

    assert refused.status_code == 401
    assert simple_client(api_key, secret).get(ME).status_code == 200


def test_a_refused_key_is_refused_on_every_request_until_it_changes(trader, account, clock):
    api_key, secret = key_make(user=trader, account=account)
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())
    client = simple_client(api_key, secret)

    first, second = client.get(ME), client.get(ME)

    assert (first.status_code, second.status_code) == (401, 401)


def test_a_role_taken_away_in_this_process_applies_to_the_next_request(trader, account, clock):
    api_key, secret = key_make(user=trader, account=account, scopes=["read", "trade"])
    client = simple_client(api_key, secret)
    assert client.get("/api/v1/orders").status_code == 200

    trader.groups.remove(Group.objects.get(name="trader"))
    refused = client.get("/api/v1/orders")

    assert refused.status_code == 403


# --- JWT: the token's user and roles -------------------------------------------------------------


def _jwt_client(user):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def test_a_warm_jwt_user_authenticates_without_reading_the_user_or_roles(trader, account, clock):
    client = _jwt_client(trader)
    assert client.get(ME).status_code == 200

    with CaptureQueriesContext(connection) as warm:
        response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["roles"] == ["trader"]
    assert not any('FROM "auth_user"' in query["sql"] for query in warm.captured_queries)
    assert not any("auth_group" in query["sql"] for query in warm.captured_queries)


def test_a_user_deactivated_elsewhere_is_refused_once_the_entry_is_older_than_the_bound(
    trader, account, clock
):
    client = _jwt_client(trader)
    assert client.get(ME).status_code == 200
    # Another process deactivates the user: this one hears no signal.
    type(trader).objects.filter(pk=trader.pk).update(is_active=False)

    clock.now += 0.5
    assert client.get(ME).status_code == 200
    clock.now += 0.6
    refused = client.get(ME)

    assert refused.status_code == 401


def test_a_role_taken_away_in_this_process_takes_effect_at_once(trader, account, clock):
    client = _jwt_client(trader)
    assert client.get(ME).json()["roles"] == ["trader"]

    trader.groups.remove(Group.objects.get(name="trader"))

    assert client.get(ME).status_code == 403  # no role, so no `read` scope
