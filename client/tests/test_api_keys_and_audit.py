"""API keys (create each scheme, use it, revoke it) and the audit trail."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from trading_client import ApiKeyAuth, Ed25519Auth, HmacAuth
from trading_client.errors import (
    ApiKeyRevokedError,
    AuthenticationFailedError,
    InvalidSignatureError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)


@pytest.fixture
def admin(server):
    return server.client("keys")


def test_create_use_and_revoke_each_scheme(server, admin):
    private_key = Ed25519PrivateKey.generate()
    public_key = base64.b64encode(private_key.public_key().public_bytes_raw()).decode()
    expires_at = datetime.now(UTC) + timedelta(days=1)

    simple = admin.api_keys.create("bot-simple", ["read"], expires_at=expires_at)
    hmac_key = admin.api_keys.create(
        "bot-hmac", ["read", "trade"], scheme="hmac", rate_limits={"data": "50/s"}
    )
    ed_key = admin.api_keys.create("bot-ed", ["read"], public_key=public_key)

    assert (simple.scheme, hmac_key.scheme, ed_key.scheme) == ("simple", "hmac", "ed25519")
    assert simple.token == f"{simple.key_id}.{simple.secret}"
    assert ed_key.secret is None
    assert ed_key.public_key == public_key
    assert simple.expires_at == expires_at.replace(microsecond=simple.expires_at.microsecond)
    assert hmac_key.rate_limits == {"data": "50/s"}
    assert simple.account == server.accounts["Cl-Keys"]
    credentials = {
        simple.key_id: ApiKeyAuth.from_token(simple.token),
        hmac_key.key_id: HmacAuth(hmac_key.key_id, hmac_key.secret),
        ed_key.key_id: Ed25519Auth(ed_key.key_id, private_key),
    }
    for key_id, auth in credentials.items():
        assert server.client(auth).system.me().credential.key_id == key_id

    listed = {k.key_id: k for k in admin.api_keys.list(limit=2)}
    assert set(credentials) <= set(listed)
    assert admin.api_keys.get(hmac_key.id).name == "bot-hmac"

    revoked = admin.api_keys.revoke(hmac_key.id)

    assert revoked.revoked
    with pytest.raises(ApiKeyRevokedError):
        server.client(credentials[hmac_key.key_id]).system.me()
    assert admin.api_keys.get(hmac_key.id).revoked_at == revoked.revoked_at


def test_key_errors(server, admin):
    with pytest.raises(ValidationError) as bad:
        admin.api_keys.create("x", ["fly"])
    assert "scopes.0" in bad.value.fields or "scopes" in bad.value.fields
    with pytest.raises(PermissionDeniedError):
        server.client("orders-read").api_keys.list().page()
    with pytest.raises(NotFoundError):
        admin.api_keys.get(server.keys["orders"]["id"])  # another account's key
    key = server.keys["keys"]
    with pytest.raises(InvalidSignatureError):
        server.client(HmacAuth(key["key_id"], "wrong secret")).system.me()
    with pytest.raises(AuthenticationFailedError):
        server.client(ApiKeyAuth(key["key_id"], "wrong secret")).system.me()


def test_audit_lists_and_verifies(server, admin):
    created = admin.api_keys.create("audited", ["read"])
    admin.api_keys.revoke(created.id)

    rows = list(admin.audit.list(action="api_key.revoked", object_ref=f"api_key:{created.id}"))
    pages = admin.audit.list(limit=3)
    first = pages.page()
    second = pages.page(cursor=first.next_cursor)
    recent = list(admin.audit.list(actor="it-admin", start=datetime.now(UTC) - timedelta(1)))
    verification = admin.audit.verify()

    assert [row.action for row in rows] == ["api_key.revoked"]
    assert rows[0].object_id == str(created.id)
    assert rows[0].before["revoked_at"] is None
    assert rows[0].after["revoked_at"] is not None
    assert rows[0].timestamp.tzinfo is not None
    assert len(rows[0].hash) == 64
    assert len(first.items) == 3
    assert first.items[-1].seq > second.items[0].seq
    assert recent
    assert all(row.actor == "it-admin" for row in recent)
    assert verification.intact
    assert verification.checked >= recent[0].seq
    with pytest.raises(PermissionDeniedError):
        server.client("orders-read").audit.verify()
