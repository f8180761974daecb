"""The signed-request vectors the Python client is tested against (client/tests/vectors/), run
through the server's own verification, so the client and the server cannot drift apart."""

import json
from pathlib import Path

import pytest
from rest_framework.test import APIRequestFactory

from access import crypto
from access.authentication import CredentialFailed, SignedApiKeyAuthentication
from access.credentials import signed_message
from access.errors import InvalidSignature
from access.models import ApiKey
from access.tests.factories import AccountFactory, MembershipFactory, UserFactory

VECTORS_PATH = Path(__file__).resolve().parents[2] / "client" / "tests" / "vectors" / "signing.json"
DOCUMENT = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
VECTORS = DOCUMENT["vectors"]


@pytest.fixture
def vector_keys(db):
    """The vectors' HMAC and Ed25519 keys, with their key ids, on a member's account."""
    user = UserFactory(username="vectors", roles=["admin"])
    account = AccountFactory(name="Vectors")
    MembershipFactory(user=user, account=account, is_default=True)
    common = {"user": user, "account": account, "name": "vectors", "scopes": ["read"]}
    keys = {}
    for vector in VECTORS:
        if vector["key_id"] in keys:
            continue
        if vector["scheme"] == "hmac":
            keys[vector["key_id"]] = ApiKey.objects.create(
                key_id=vector["key_id"],
                scheme="hmac",
                secret_encrypted=crypto.secret_encrypt(DOCUMENT["hmac"]["secret"]),
                **common,
            )
        else:
            keys[vector["key_id"]] = ApiKey.objects.create(
                key_id=vector["key_id"],
                scheme="ed25519",
                public_key=DOCUMENT["ed25519"]["public_key"],
                **common,
            )
    return keys


def _request(vector, *, body: bytes | None = None, signature: str | None = None):
    target = vector["raw_path"] + (f"?{vector['query']}" if vector["query"] else "")
    return APIRequestFactory().generic(
        vector["method"],
        target,
        data=vector["body"].encode() if body is None else body,
        content_type="application/json",
        HTTP_X_API_KEY=vector["key_id"],
        HTTP_X_TIMESTAMP=vector["timestamp"],
        HTTP_X_SIGNATURE=vector["signature"] if signature is None else signature,
    )


@pytest.fixture
def server_clock_at(monkeypatch):
    def set_clock(timestamp_ms: str) -> None:
        monkeypatch.setattr(
            SignedApiKeyAuthentication, "timer", staticmethod(lambda: int(timestamp_ms) / 1000)
        )

    return set_clock


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_server_builds_the_vector_message(vector):
    message = signed_message(
        timestamp=vector["timestamp"],
        method=vector["method"],
        path=vector["signed_path"],
        query=vector["query"],
        body=vector["body"].encode(),
    )
    assert message == vector["message"].encode()


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_server_accepts_the_vector_signature(vector, vector_keys, server_clock_at):
    # given: the server's clock at the vector's timestamp
    server_clock_at(vector["timestamp"])
    # when: the request as a client sends it (raw path, raw query, body) is authenticated
    user, api_key = SignedApiKeyAuthentication().authenticate(_request(vector))
    # then
    assert api_key.key_id == vector["key_id"]
    assert user.username == "vectors"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_server_refuses_the_vector_signature_over_other_bytes(
    vector, vector_keys, server_clock_at
):
    server_clock_at(vector["timestamp"])
    tampered = (vector["body"] + " ").encode()

    with pytest.raises(CredentialFailed) as caught:
        SignedApiKeyAuthentication().authenticate(_request(vector, body=tampered))

    assert caught.value.error_code == InvalidSignature.code
