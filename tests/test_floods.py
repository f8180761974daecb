"""Unauthenticated floods: limited by client IP before authentication, refused credentials
limited per IP and per key id, and a burst of failures costs a bounded number of audit rows; a
source the limiter has locked out is then refused in front of Django (kernel.api.gate), under
ASGI and WSGI alike."""

import asyncio
import io
import json
import time

import pytest
from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from rest_framework.test import APIClient

from access.tests.helpers import key_make, simple_client
from audit.models import AuditEntry
from kernel.api.gate import GateASGI, GateWSGI, Lockouts, lockouts
from trading_api.asgi import application as asgi_application
from trading_api.wsgi import application as wsgi_application

pytestmark = pytest.mark.django_db


def _client(ip: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    return client


def test_refused_credentials_lock_the_source_out_after_the_limit(settings, reader_api):
    settings.RATE_LIMIT_AUTH_FAILURES = "5/d"
    attacker = _client("198.51.100.7")
    attacker.credentials(HTTP_AUTHORIZATION="Api-Key kguess.wrong")
    statuses = [attacker.get("/api/v1/balances").status_code for _ in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    locked = attacker.get("/api/v1/balances")
    assert locked.json()["error"]["code"] == "RATE_LIMITED"
    assert int(locked["Retry-After"]) >= 1
    # Another caller, from another address with a good key, is not affected.
    assert reader_api.get("/api/v1/balances").status_code == 200


def test_guessing_one_key_from_many_addresses_locks_that_key_id(settings, trader, account):
    settings.RATE_LIMIT_AUTH_FAILURES = "3/d"
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))
    # The key id is then refused from anywhere for the rest of the window, the right secret too.
    _guess_until_locked(api_key, secret)


def _guess_until_locked(api_key, secret) -> None:
    """Three wrong secrets for the key from three addresses, then the owner's 429 (the guard)."""
    for n in range(3):
        guesser = _client(f"203.0.113.{n}")
        guesser.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key.key_id}.wrong")
        assert guesser.get("/api/v1/balances").status_code == 401
    owner = simple_client(api_key, secret)
    assert owner.get("/api/v1/balances").status_code == 429


def test_a_burst_of_failures_writes_two_rows_and_no_body(settings):
    settings.RATE_LIMIT_AUTH_FAILURES = "10/d"
    attacker = _client("198.51.100.8")
    attacker.credentials(HTTP_AUTHORIZATION="Api-Key kguess.wrong")
    for _ in range(40):
        attacker.post("/api/v1/orders?token=t", {"blob": "x" * 10_000}, format="json")
    rows = list(AuditEntry.objects.order_by("seq").values_list("action", "params"))
    assert rows == [("auth.failed", None), ("auth.flood", {"failures": 10})]


def test_every_request_of_one_address_is_limited_before_authentication(settings):
    settings.RATE_LIMIT_IP = "5/d"
    flooder = _client("198.51.100.9")
    statuses = [flooder.get("/api/v1/instruments").status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    # Load-balancer probes are never refused.
    assert flooder.get("/api/v1/health").status_code == 200


# --- in front of Django: kernel.api.gate ------------------------------------------------------

ATTACKER = "198.51.100.20"


@pytest.fixture(autouse=True)
def _no_holds():
    """Each test starts with no source held in this process (as the cache starts empty)."""
    lockouts.clear()
    yield
    lockouts.clear()


@pytest.fixture
def gate_settings(settings):
    settings.RATE_LIMIT_AUTH_FAILURES = "3/d"
    settings.RATE_LIMIT_REFUSAL_DELAY_SECONDS = 0
    return settings


@pytest.fixture
def django_started():
    """Counts the requests Django's handler began (its request_started signal)."""
    started = []

    def receiver(**kwargs):
        started.append(kwargs)

    request_started.connect(receiver)
    yield started
    request_started.disconnect(receiver)


def _lock_out(ip: str = ATTACKER, key: str = "kguess.wrong") -> HttpResponse:
    """Refused credentials from `ip` up to the limit, then the guard's 429 (inside Django)."""
    attacker = _client(ip)
    attacker.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    statuses = [attacker.get("/api/v1/balances").status_code for _ in range(3)]
    assert statuses == [401] * 3
    refused = attacker.get("/api/v1/balances")
    assert refused.status_code == 429
    return refused


class _Asgi:
    """Drives an ASGI application with one HTTP request, recording whether it read the body."""

    def __init__(self, app):
        self.app = app

    def __call__(self, path, *, ip, headers=(), method="GET", body=b""):
        reads, sent = [], []

        async def receive():
            reads.append(path)
            if len(reads) == 1:
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # no disconnect: the client waits for the answer

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
            "client": (ip, 40000),
            "server": ("testserver", 80),
        }
        async_to_sync(self.app)(scope, receive, send)
        start = sent[0]
        response = HttpResponse(
            b"".join(m.get("body", b"") for m in sent[1:]), status=start["status"]
        )
        for name, value in start["headers"]:
            response.headers[name.decode()] = value.decode()
        response.body_read = bool(reads)
        return response


def _wsgi(path, *, ip, headers=None, body=b""):
    """Drives trading_api.wsgi.application with one request; records whether it read the body."""
    stream = _RecordingStream(body)
    environ = {
        "REQUEST_METHOD": "POST" if body else "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": ip,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **(headers or {}),
    }
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"], started["headers"] = status, response_headers

    # As Django's test client does: the test's connection (and its transaction) stays open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = wsgi_application(environ, start_response)
        content = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    response = HttpResponse(content, status=int(started["status"].split()[0]))
    for name, value in started["headers"]:
        response.headers[name] = value
    response.body_read = stream.reads > 0
    return response


class _RecordingStream(io.BytesIO):
    reads = 0

    def read(self, *args):
        self.reads += 1
        return super().read(*args)

    def readline(self, *args):
        self.reads += 1
        return super().readline(*args)


def _assert_refused_like_the_guard(response, guard_response) -> None:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["message"] == guard_response.json()["error"]["message"]
    assert error["details"] is None
    assert error["request_id"] == response["X-Request-ID"]
    # The guard's headers, with values that agree with its own.
    for name in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "Cache-Control"):
        assert response.has_header(name), name
    assert response["X-RateLimit-Limit"] == guard_response["X-RateLimit-Limit"]
    assert response["X-RateLimit-Remaining"] == "0"
    assert response["Cache-Control"] == guard_response["Cache-Control"] == "no-store"
    assert response["Retry-After"] == response["X-RateLimit-Reset"]
    assert 1 <= int(response["Retry-After"]) <= int(guard_response["Retry-After"])


@pytest.mark.django_db(transaction=True)
def test_asgi_refuses_a_locked_source_before_django(gate_settings, django_started):
    guard_answer = _lock_out()
    started_by_the_lockout = len(django_started)
    # The served application routes HTTP through the gate.
    assert isinstance(asgi_application.app.application_mapping["http"], GateASGI)
    asgi = _Asgi(asgi_application.app.application_mapping["http"])
    response = asgi(
        "/api/v1/orders",
        ip=ATTACKER,
        method="POST",
        body=b'{"note": "' + b"x" * 60_000 + b'"}',
        headers=[("Authorization", "Api-Key kother.wrong"), ("X-Request-ID", "flood-1")],
    )
    _assert_refused_like_the_guard(response, guard_answer)
    assert response["X-Request-ID"] == "flood-1"
    assert not response.body_read
    assert len(django_started) == started_by_the_lockout  # Django never saw the request
    # No audit row for a refusal before Django: the lockout cost its two rows, no more.
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == [
        "auth.failed",
        "auth.flood",
    ]


def test_wsgi_refuses_a_locked_source_before_django(gate_settings, django_started):
    guard_answer = _lock_out()
    started_by_the_lockout = len(django_started)
    assert isinstance(wsgi_application, GateWSGI)
    response = _wsgi("/api/v1/orders", ip=ATTACKER, body=b'{"symbol": "AAPL"}')
    _assert_refused_like_the_guard(response, guard_answer)
    assert not response.body_read
    assert len(django_started) == started_by_the_lockout


@pytest.mark.django_db(transaction=True)
def test_health_is_never_refused_in_front_of_django(gate_settings):
    _lock_out()
    asgi = _Asgi(asgi_application.app.application_mapping["http"])
    assert asgi("/api/v1/balances", ip=ATTACKER).status_code == 429
    assert asgi("/api/v1/health", ip=ATTACKER).status_code == 200
    assert _wsgi("/api/v1/health", ip=ATTACKER).status_code == 200


def test_a_caller_from_another_address_is_unaffected(gate_settings, trader, account):
    _lock_out()
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))
    good = {"HTTP_AUTHORIZATION": f"Api-Key {api_key.key_id}.{secret}"}
    assert _wsgi("/api/v1/balances", ip=ATTACKER, headers=good).status_code == 429
    assert _wsgi("/api/v1/balances", ip="203.0.113.50", headers=good).status_code == 200


def test_a_locked_key_id_is_refused_in_front_of_django_from_any_address(
    gate_settings, trader, account, django_started
):
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))
    _guess_until_locked(api_key, secret)
    started = len(django_started)
    good = {"HTTP_AUTHORIZATION": f"Api-Key {api_key.key_id}.{secret}"}
    assert _wsgi("/api/v1/balances", ip="192.0.2.77", headers=good).status_code == 429
    assert len(django_started) == started


def test_the_gate_takes_the_client_ip_from_trusted_proxies_only(gate_settings):
    gate_settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    _lock_out()
    via_proxy = {"HTTP_X_FORWARDED_FOR": f"{ATTACKER}, 10.0.0.9"}
    assert _wsgi("/api/v1/balances", ip="10.0.0.1", headers=via_proxy).status_code == 429
    other = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert _wsgi("/api/v1/balances", ip="10.0.0.1", headers=other).status_code == 401
    # From an untrusted peer the header is the client's own claim, and is ignored.
    assert _wsgi("/api/v1/balances", ip="192.0.2.1", headers=via_proxy).status_code == 401


def test_a_hold_asks_the_shared_limiter_again_within_the_bound(settings):
    settings.RATE_LIMIT_LOCAL_HOLD_SECONDS = 5
    now = [1_000_000.25]
    book = Lockouts(clock=lambda: now[0])
    book.hold("ip:192.0.2.5", window_end=1_000_060, limit=20)
    refusal = book.refusal(["ip:192.0.2.5"])
    assert (refusal.limit, refusal.retry_after) == (20, 60)
    assert book.refusal(["ip:192.0.2.6", "key:k1"]) is None
    now[0] += 4.9
    assert book.refusal(["ip:192.0.2.5"]).retry_after == 55
    # Past the bound the shared limiter decides again, though its window has not ended.
    now[0] += 0.2
    assert book.refusal(["ip:192.0.2.5"]) is None
    # A hold never outlives the shared window.
    book.hold("key:k1", window_end=now[0] + 1.5, limit=3)
    now[0] += 1.5
    assert book.refusal(["key:k1"]) is None


@pytest.mark.django_db(transaction=True)
def test_asgi_sends_a_held_source_its_429_after_the_delay(gate_settings):
    gate_settings.RATE_LIMIT_REFUSAL_DELAY_SECONDS = 0.2
    _lock_out()
    asgi = _Asgi(asgi_application.app.application_mapping["http"])
    began = time.monotonic()
    assert asgi("/api/v1/balances", ip=ATTACKER).status_code == 429
    assert time.monotonic() - began >= 0.2


def test_a_shorter_lock_does_not_cut_a_longer_hold_short(settings):
    settings.RATE_LIMIT_LOCAL_HOLD_SECONDS = 5
    now = [2_000_000.0]
    book = Lockouts(clock=lambda: now[0])
    book.hold("ip:192.0.2.5", window_end=now[0] + 60, limit=20)  # refused credentials
    book.hold("ip:192.0.2.5", window_end=now[0] + 1, limit=200)  # the same IP over its rate
    now[0] += 2
    assert book.refusal(["ip:192.0.2.5"]).limit == 20
