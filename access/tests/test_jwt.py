"""JWT: issue, refresh with rotation, logout, and every way a token must be refused."""

import base64
import datetime
import json

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from access.tests.factories import PASSWORD
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _login(username="tom", password=PASSWORD, client=None):
    return (client or APIClient()).post(
        "/api/v1/auth/token", {"username": username, "password": password}, format="json"
    )


def _me(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/me")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_login_returns_a_pair_that_authenticates(trader):
    response = _login()

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    me = _me(response.json()["access"])
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "tom"
    assert me.json()["credential"] == {"type": "jwt", "scheme": None, "key_id": None}
    assert me.json()["scopes"] == ["read", "trade"]


def test_access_token_lives_five_minutes_and_uses_its_own_key(trader):
    access = _login().json()["access"]

    claims = jwt.decode(access, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 300
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(access, settings.SECRET_KEY, algorithms=["HS256"])


def test_wrong_password_is_refused(trader):
    response = _login(password="wrong")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_FAILED"


def test_expired_access_token_is_refused(trader):
    access = _login().json()["access"]
    claims = jwt.decode(access, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    claims["exp"] = int(datetime.datetime.now(datetime.UTC).timestamp()) - 1
    expired = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")

    response = _me(expired)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_EXPIRED"
    assert response.json()["error"]["message"] == "The access token has expired: refresh it."


def test_tampered_access_token_is_refused(trader, admin_user):
    access = _login().json()["access"]
    header, payload, signature = access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["user_id"] = str(admin_user.pk)

    response = _me(f"{header}.{_b64(claims)}.{signature}")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_FAILED"


def test_alg_none_token_is_refused(trader):
    access = _login().json()["access"]
    claims = jwt.decode(access, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."

    response = _me(unsigned)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_FAILED"


def test_token_signed_with_another_key_is_refused(trader):
    access = _login().json()["access"]
    claims = jwt.decode(access, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    forged = jwt.encode(claims, "not-the-signing-key-" * 3, algorithm="HS256")

    response = _me(forged)

    assert response.status_code == 401


def test_refresh_token_is_not_an_access_token(trader):
    refresh = _login().json()["refresh"]

    assert _me(refresh).status_code == 401


def test_refresh_rotates_and_the_used_token_cannot_be_reused(trader):
    first = _login().json()
    client = APIClient()

    rotated = client.post(
        "/api/v1/auth/token/refresh", {"refresh": first["refresh"]}, format="json"
    )
    reused = client.post("/api/v1/auth/token/refresh", {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first["refresh"]
    assert _me(rotated.json()["access"]).status_code == 200
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "AUTHENTICATION_FAILED"
    again = client.post(
        "/api/v1/auth/token/refresh", {"refresh": rotated.json()["refresh"]}, format="json"
    )
    assert again.status_code == 200


def test_logout_blacklists_the_refresh_token_and_is_audited(trader):
    pair = _login().json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

    response = client.post("/api/v1/auth/logout", {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 204
    refused = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh": pair["refresh"]}, format="json"
    )
    assert refused.status_code == 401
    entry = AuditEntry.objects.get(action="auth.logged_out")
    assert entry.object_id == str(trader.pk)
    assert entry.actor_id == trader.pk


def test_logout_refuses_another_users_refresh_token(trader, admin_user):
    victim = _login(username="alice").json()
    attacker = _login().json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {attacker['access']}")

    response = client.post("/api/v1/auth/logout", {"refresh": victim["refresh"]}, format="json")

    assert response.status_code == 400
    still_valid = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh": victim["refresh"]}, format="json"
    )
    assert still_valid.status_code == 200


def test_logout_needs_authentication(trader):
    pair = _login().json()

    response = APIClient().post("/api/v1/auth/logout", {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 401


def test_login_is_throttled_per_username(trader):
    statuses = [
        _login(password="wrong", client=APIClient(REMOTE_ADDR=f"10.0.0.{n}")).status_code
        for n in range(6)
    ]

    assert statuses == [401] * 5 + [429]
    refused = _login(client=APIClient(REMOTE_ADDR="10.0.0.99"))
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_login_is_throttled_per_ip(trader):
    statuses = [_login(username=f"nobody{n}", password="x").status_code for n in range(6)]

    assert statuses == [401] * 5 + [429]
    assert _login().status_code == 429


def test_a_user_without_roles_can_still_log_out(trader):
    pair = _login().json()
    trader.groups.clear()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

    assert client.get("/api/v1/me").status_code == 403
    assert (
        client.post("/api/v1/auth/logout", {"refresh": pair["refresh"]}, format="json").status_code
        == 204
    )
