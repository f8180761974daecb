"""API key authentication: simple tokens, HMAC and Ed25519 signatures, replay and key state."""

import datetime
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone
from rest_framework.test import APIClient

from access.authentication import SignedApiKeyAuthentication
from access.models import ApiKey
from access.services import api_key_revoke, api_key_touch, membership_remove
from access.tests.helpers import (
    ed25519_headers,
    hmac_headers,
    key_make,
    now_ms,
    public_key_b64,
    simple_client,
)

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def _code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def hmac_key(trader, account):
    return key_make(user=trader, account=account, scopes=["read", "trade"], scheme="hmac")


@pytest.fixture
def ed_key(trader, account, ed25519_private_key):
    api_key, secret = key_make(
        user=trader, account=account, public_key=public_key_b64(ed25519_private_key)
    )
    assert secret is None
    return api_key


# --- simple ---------------------------------------------------------------------------------


def test_simple_key_authenticates_and_stores_only_a_hash(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=["read"])

    response = simple_client(api_key, secret).get(ME)

    assert response.status_code == 200
    assert response.json()["credential"] == {
        "type": "api_key",
        "scheme": "simple",
        "key_id": api_key.key_id,
    }
    assert response.json()["scopes"] == ["read"]
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert secret not in json.dumps(
        [stored.secret_hash, stored.secret_encrypted, stored.public_key]
    )
    assert len(stored.secret_hash) == 64


def test_simple_key_with_a_wrong_secret_is_refused(trader, account):
    api_key, secret = key_make(user=trader, account=account)

    response = simple_client(api_key, secret[:-1] + ("A" if secret[-1] != "A" else "B")).get(ME)

    assert response.status_code == 401
    assert _code(response) == "AUTHENTICATION_FAILED"


def test_unknown_key_id_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key knope.secret")

    assert client.get(ME).status_code == 401


def test_revoked_key_is_refused(trader, account):
    api_key, secret = key_make(user=trader, account=account)
    api_key_revoke(api_key=api_key)

    response = simple_client(api_key, secret).get(ME)

    assert response.status_code == 401
    assert _code(response) == "API_KEY_REVOKED"


def test_expired_key_is_refused(trader, account):
    api_key, secret = key_make(
        user=trader, account=account, expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    ApiKey.objects.filter(pk=api_key.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = simple_client(api_key, secret).get(ME)

    assert response.status_code == 401
    assert _code(response) == "API_KEY_EXPIRED"


def test_ip_outside_the_allowlist_is_refused(trader, account):
    api_key, secret = key_make(user=trader, account=account, allowed_ips=["10.1.0.0/16"])
    inside = simple_client(api_key, secret)
    outside = simple_client(api_key, secret)

    allowed = inside.get(ME, REMOTE_ADDR="10.1.2.3")
    refused = outside.get(ME, REMOTE_ADDR="10.2.0.1")

    assert allowed.status_code == 200
    assert refused.status_code == 401
    assert _code(refused) == "IP_NOT_ALLOWED"


def test_key_stops_working_when_its_owner_leaves_the_account(trader, account):
    api_key, secret = key_make(user=trader, account=account)
    membership_remove(membership=trader.memberships.get(account=account))

    assert simple_client(api_key, secret).get(ME).status_code == 401


def test_key_scopes_are_capped_by_the_owners_roles(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=["read", "trade"])
    trader.groups.clear()

    response = simple_client(api_key, secret).get(ME)

    assert response.status_code == 403
    assert _code(response) == "PERMISSION_DENIED"


def test_last_used_at_is_written_at_most_once_a_minute(trader, account):
    api_key, secret = key_make(user=trader, account=account)
    client = simple_client(api_key, secret)

    client.get(ME)
    first = ApiKey.objects.get(pk=api_key.pk).last_used_at
    client.get(ME)
    second = ApiKey.objects.get(pk=api_key.pk).last_used_at

    assert first is not None
    assert second == first
    later = first + datetime.timedelta(seconds=61)
    assert api_key_touch(api_key=ApiKey.objects.get(pk=api_key.pk), now=later) is True
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == later
    stale_copy = ApiKey.objects.get(pk=api_key.pk)
    stale_copy.last_used_at = None
    assert api_key_touch(api_key=stale_copy, now=later + datetime.timedelta(seconds=1)) is False


# --- HMAC -----------------------------------------------------------------------------------


def test_hmac_signed_get_with_query_authenticates(hmac_key):
    api_key, secret = hmac_key
    headers = hmac_headers(
        key_id=api_key.key_id, secret=secret, method="GET", path=ME, query="verbose=1"
    )

    response = APIClient().get(f"{ME}?verbose=1", **headers)

    assert response.status_code == 200
    assert response.json()["credential"]["scheme"] == "hmac"
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert stored.secret_hash == ""
    assert secret not in stored.secret_encrypted


def test_hmac_signed_post_covers_the_body(admin_user, account):
    api_key, secret = key_make(user=admin_user, account=account, scopes=["admin"], scheme="hmac")
    body = json.dumps({"name": "bot", "scopes": ["admin"]}).encode()
    headers = hmac_headers(
        key_id=api_key.key_id, secret=secret, method="POST", path="/api/v1/api-keys", body=body
    )

    created = APIClient().post("/api/v1/api-keys", body, content_type="application/json", **headers)

    assert created.status_code == 201
    assert created.json()["name"] == "bot"


def test_hmac_bad_signature_is_refused(hmac_key):
    api_key, secret = hmac_key
    headers = hmac_headers(key_id=api_key.key_id, secret=secret + "x", method="GET", path=ME)

    response = APIClient().get(ME, **headers)

    assert response.status_code == 401
    assert _code(response) == "INVALID_SIGNATURE"


def test_hmac_signature_for_another_path_is_refused(hmac_key):
    api_key, secret = hmac_key
    headers = hmac_headers(key_id=api_key.key_id, secret=secret, method="GET", path="/api/v1/x")

    assert _code(APIClient().get(ME, **headers)) == "INVALID_SIGNATURE"


def test_stale_timestamp_is_refused(hmac_key):
    api_key, secret = hmac_key
    headers = hmac_headers(
        key_id=api_key.key_id, secret=secret, method="GET", path=ME, timestamp=now_ms() - 6_000
    )

    response = APIClient().get(ME, **headers)

    assert response.status_code == 401
    assert _code(response) == "TIMESTAMP_OUT_OF_WINDOW"


def test_future_timestamp_is_refused(hmac_key):
    api_key, secret = hmac_key
    headers = hmac_headers(
        key_id=api_key.key_id, secret=secret, method="GET", path=ME, timestamp=now_ms() + 2_000
    )

    response = APIClient().get(ME, **headers)

    assert response.status_code == 401
    assert _code(response) == "TIMESTAMP_OUT_OF_WINDOW"


@pytest.mark.parametrize(
    ("offset_ms", "status"),
    [(-5_000, 200), (-5_001, 401), (1_000, 200), (1_001, 401)],
)
def test_window_edges_with_a_frozen_clock(monkeypatch, hmac_key, offset_ms, status):
    api_key, secret = hmac_key
    server_ms = 1_800_000_000_000
    monkeypatch.setattr(SignedApiKeyAuthentication, "timer", staticmethod(lambda: server_ms / 1000))
    headers = hmac_headers(
        key_id=api_key.key_id,
        secret=secret,
        method="GET",
        path=ME,
        timestamp=server_ms + offset_ms,
    )

    assert APIClient().get(ME, **headers).status_code == status


def test_exact_replay_is_refused(hmac_key):
    api_key, secret = hmac_key
    headers = hmac_headers(key_id=api_key.key_id, secret=secret, method="GET", path=ME)

    first = APIClient().get(ME, **headers)
    replay = APIClient().get(ME, **headers)
    upper_case = APIClient().get(
        ME, **{**headers, "HTTP_X_SIGNATURE": headers["HTTP_X_SIGNATURE"].upper()}
    )

    assert first.status_code == 200
    assert replay.status_code == 401
    assert _code(replay) == "REPLAYED_REQUEST"
    assert _code(upper_case) == "REPLAYED_REQUEST"


def test_revoked_hmac_key_is_refused(hmac_key):
    api_key, secret = hmac_key
    api_key_revoke(api_key=api_key)
    headers = hmac_headers(key_id=api_key.key_id, secret=secret, method="GET", path=ME)

    assert _code(APIClient().get(ME, **headers)) == "API_KEY_REVOKED"


def test_signed_request_from_a_disallowed_ip_is_refused(trader, account):
    api_key, secret = key_make(user=trader, account=account, scheme="hmac", allowed_ips=["::1"])
    headers = hmac_headers(key_id=api_key.key_id, secret=secret, method="GET", path=ME)

    assert _code(APIClient().get(ME, REMOTE_ADDR="127.0.0.1", **headers)) == "IP_NOT_ALLOWED"


def test_hmac_key_cannot_be_used_as_a_simple_token(hmac_key):
    api_key, secret = hmac_key

    assert simple_client(api_key, secret).get(ME).status_code == 401


def test_signed_request_without_signature_headers_is_refused(hmac_key):
    api_key, _ = hmac_key

    response = APIClient().get(ME, HTTP_X_API_KEY=api_key.key_id)

    assert response.status_code == 401


# --- Ed25519 --------------------------------------------------------------------------------


def test_ed25519_signed_request_authenticates(ed_key, ed25519_private_key):
    headers = ed25519_headers(
        key_id=ed_key.key_id, private_key=ed25519_private_key, method="GET", path=ME
    )

    response = APIClient().get(ME, **headers)

    assert response.status_code == 200
    assert response.json()["credential"]["scheme"] == "ed25519"
    assert ApiKey.objects.get(pk=ed_key.pk).public_key == public_key_b64(ed25519_private_key)


def test_ed25519_tampered_body_is_refused(admin_user, account, ed25519_private_key):
    api_key, _ = key_make(
        user=admin_user,
        account=account,
        scopes=["admin"],
        public_key=public_key_b64(ed25519_private_key),
    )
    signed_body = json.dumps({"name": "bot", "scopes": ["read"]}).encode()
    sent_body = json.dumps({"name": "bot", "scopes": ["admin"]}).encode()
    headers = ed25519_headers(
        key_id=api_key.key_id,
        private_key=ed25519_private_key,
        method="POST",
        path="/api/v1/api-keys",
        body=signed_body,
    )

    response = APIClient().post(
        "/api/v1/api-keys", sent_body, content_type="application/json", **headers
    )

    assert response.status_code == 401
    assert _code(response) == "INVALID_SIGNATURE"
    assert ApiKey.objects.count() == 1


def test_ed25519_signature_of_another_key_is_refused(ed_key):
    headers = ed25519_headers(
        key_id=ed_key.key_id, private_key=Ed25519PrivateKey.generate(), method="GET", path=ME
    )

    assert _code(APIClient().get(ME, **headers)) == "INVALID_SIGNATURE"


def test_ed25519_replay_is_refused(ed_key, ed25519_private_key):
    headers = ed25519_headers(
        key_id=ed_key.key_id, private_key=ed25519_private_key, method="GET", path=ME
    )

    assert APIClient().get(ME, **headers).status_code == 200
    assert _code(APIClient().get(ME, **headers)) == "REPLAYED_REQUEST"


def test_ed25519_key_accepts_a_pem_public_key(trader, account, ed25519_private_key):
    pem = (
        ed25519_private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    api_key, secret = key_make(user=trader, account=account, public_key=pem)

    assert secret is None
    assert api_key.scheme == "ed25519"
    assert api_key.public_key == public_key_b64(ed25519_private_key)


def test_hmac_key_encrypted_under_another_key_is_refused_not_a_crash(settings, hmac_key):
    api_key, secret = hmac_key
    settings.API_KEY_ENCRYPTION_KEY = "rotated-" + settings.API_KEY_ENCRYPTION_KEY
    headers = hmac_headers(key_id=api_key.key_id, secret=secret, method="GET", path=ME)

    response = APIClient().get(ME, **headers)

    assert response.status_code == 401
    assert _code(response) == "AUTHENTICATION_FAILED"
