"""The client signs exactly the vectors the server's suite verifies
(access/tests/test_signing_vectors.py), and signs every attempt afresh."""

import base64
import json
from pathlib import Path

import httpx
import pytest
from trading_client import Ed25519Auth, HmacAuth
from trading_client.signing import canonical_path, quote_segment, signed_message

DOCUMENT = json.loads((Path(__file__).parent / "vectors" / "signing.json").read_text("utf-8"))
VECTORS = DOCUMENT["vectors"]
SEED = base64.b64decode(DOCUMENT["ed25519"]["private_key_seed"])


def _auth(vector):
    clock = lambda: int(vector["timestamp"]) / 1000  # noqa: E731
    if vector["scheme"] == "hmac":
        return HmacAuth(vector["key_id"], DOCUMENT["hmac"]["secret"], clock=clock)
    return Ed25519Auth(vector["key_id"], SEED, clock=clock)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_message_and_signature_match_the_vector(vector):
    assert canonical_path(vector["raw_path"]) == vector["signed_path"]
    message = signed_message(
        timestamp=vector["timestamp"],
        method=vector["method"],
        path=vector["raw_path"],
        query=vector["query"],
        body=vector["body"].encode(),
    )
    assert message == vector["message"].encode()

    target = vector["raw_path"] + (f"?{vector['query']}" if vector["query"] else "")
    headers = _auth(vector).headers(
        method=vector["method"], target=target.encode(), body=vector["body"].encode()
    )

    assert headers == {
        "X-API-Key": vector["key_id"],
        "X-Timestamp": vector["timestamp"],
        "X-Signature": vector["signature"],
    }


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_what_httpx_sends_is_what_is_signed(vector):
    # The client signs the target of the request httpx builds, byte for byte.
    url = "http://server" + vector["raw_path"] + (f"?{vector['query']}" if vector["query"] else "")
    request = httpx.Request(vector["method"], url, content=vector["body"].encode())
    target = vector["raw_path"] + (f"?{vector['query']}" if vector["query"] else "")
    assert request.url.raw_path == target.encode()


def test_the_ed25519_public_key_is_the_registered_one():
    auth = Ed25519Auth("k", base64.b64encode(SEED).decode())
    assert auth.public_key == DOCUMENT["ed25519"]["public_key"]


def test_path_segments_are_encoded_as_the_server_re_encodes_them():
    assert quote_segment("a b~c") == "a%20b~c"
    assert quote_segment("a+b") == "a+b"
    assert quote_segment("x/y") == "x%2Fy"
    assert quote_segment("café") == "caf%C3%A9"


def test_each_attempt_gets_a_new_timestamp_even_within_one_millisecond():
    auth = HmacAuth("k", "secret", clock=lambda: 1767225600.0)
    first = auth.headers(method="GET", target=b"/api/v1/me", body=b"")
    second = auth.headers(method="GET", target=b"/api/v1/me", body=b"")

    assert int(second["X-Timestamp"]) == int(first["X-Timestamp"]) + 1
    assert second["X-Signature"] != first["X-Signature"]
