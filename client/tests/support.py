"""A real server for the client tests, started with the server suite's own harness
(tests/harness.py: `manage.py migrate`, `seed_demo`, `serve` on a free loopback port with a
fresh SQLite database), plus the accounts and keys the tests use, and test doubles for the
client's injectable sleep and clock."""

from __future__ import annotations

import base64
import json
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from trading_client import ApiKeyAuth, AsyncClient, Auth, Client, Ed25519Auth, HmacAuth, JWTAuth

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness import Stack, stack_create, wait_until  # noqa: E402  (the server's harness)

__all__ = ["Server", "start_server", "wait_until"]

GENEROUS = {"data": "1000/s", "trading": "1000/s"}
ALL_SCOPES = ["read", "trade", "control", "admin"]
DEPOSIT = "1000000"
ADMIN = "it-admin"  # the harness's superuser

# Accounts by test area, so one area's orders and trading state never meet another's.
ACCOUNTS = [
    "Cl-Orders",
    "Cl-Analytics",
    "Cl-Control",
    "Cl-Breaker",
    "Cl-Retry",
    "Cl-Cli",
    "Cl-Async",
    "Cl-Keys",
    "Cl-Stream",
    "Cl-Deploy",
    "Cl-Coverage",
]


def _password() -> str:
    return "pw-" + uuid.uuid4().hex


def _setup_spec(public_key: str) -> dict[str, Any]:
    users = [
        {"username": "cl-trader", "password": _password(), "roles": ["trader"]},
        {"username": "cl-risk-a", "password": _password(), "roles": ["risk_manager"]},
        {"username": "cl-risk-b", "password": _password(), "roles": ["risk_manager"]},
    ]
    accounts = [{"name": name, "deposit": DEPOSIT} for name in ACCOUNTS]
    accounts += [
        {"name": "Cl-Jwt", "deposit": DEPOSIT, "members": [["cl-trader", True]]},
        {
            "name": "Cl-FourEyes",
            "four_eyes": True,
            "members": [["cl-risk-a", True], ["cl-risk-b", True]],
        },
    ]

    def key(name, account, scheme="hmac", scopes=ALL_SCOPES, owner=ADMIN, **extra):
        return {
            "name": name,
            "owner": owner,
            "account": account,
            "scheme": scheme,
            "scopes": scopes,
            "rate_limits": GENEROUS,
            **extra,
        }

    keys = [
        key("demo", "Demo", scheme="simple"),
        key("demo-hmac", "Demo"),
        key("orders", "Cl-Orders"),
        key("orders-read", "Cl-Orders", scheme="simple", scopes=["read"]),
        key("analytics", "Cl-Analytics"),
        key("control", "Cl-Control"),
        key("breaker", "Cl-Breaker"),
        key("retry", "Cl-Retry"),
        key("retry-simple", "Cl-Retry", scheme="simple"),
        key("retry-1ps", "Cl-Retry", rate_limits={"data": "1000/s", "trading": "1/s"}),
        key("cli", "Cl-Cli", scheme="simple"),
        key("cli-hmac", "Cl-Cli"),
        key("async", "Cl-Async", scheme="ed25519", public_key=public_key),
        key("keys", "Cl-Keys"),
        key("stream", "Cl-Stream"),
        key("deploy", "Cl-Deploy"),
        key("coverage", "Cl-Coverage"),
        key("risk-a", "Cl-FourEyes", owner="cl-risk-a", scopes=["read", "control"]),
        key("risk-b", "Cl-FourEyes", owner="cl-risk-b", scopes=["read", "control"]),
    ]
    return {"users": users, "accounts": accounts, "keys": keys}


@dataclass
class Server:
    """The running server and the credentials made for the tests."""

    stack: Stack
    base_url: str
    admin_password: str
    passwords: dict[str, str]
    accounts: dict[str, int]
    keys: dict[str, dict[str, Any]]
    ed25519_private_key: Ed25519PrivateKey
    #: The services topology (web, engine, worker on PostgreSQL and Redis), else embedded.
    services: bool = False
    clients: list[Any] = field(default_factory=list)

    def auth(self, name: str) -> Auth:
        """The client credential for key `name` (simple, HMAC or Ed25519, as created)."""
        key = self.keys[name]
        if key["scheme"] == "simple":
            return ApiKeyAuth(key["key_id"], key["secret"])
        if key["scheme"] == "hmac":
            return HmacAuth(key["key_id"], key["secret"])
        return Ed25519Auth(key["key_id"], self.ed25519_private_key)

    def jwt(self, username: str = "cl-trader", **kwargs: Any) -> JWTAuth:
        password = self.admin_password if username == ADMIN else self.passwords[username]
        return JWTAuth(username, password, **kwargs)

    def client(self, name: str | Auth | None, base_url: str | None = None, **kwargs: Any):
        """A Client with key `name` (or the given credential), closed at session end."""
        auth = self.auth(name) if isinstance(name, str) else name
        client = Client(base_url or self.base_url, auth=auth, **kwargs)
        self.clients.append(client)
        return client

    def async_client(self, name: str | Auth | None, base_url: str | None = None, **kwargs: Any):
        """An AsyncClient with key `name` (or the given credential); use `async with`."""
        auth = self.auth(name) if isinstance(name, str) else name
        return AsyncClient(base_url or self.base_url, auth=auth, **kwargs)

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for subprocesses of the server's stack (the CLI tests override it)."""
        return {**self.stack.env, **extra}


def start_server(workdir: Path) -> Server:
    """Migrate, seed and serve a fresh server; create the test users, accounts and keys."""
    private_key = Ed25519PrivateKey.generate()
    public_key = base64.b64encode(private_key.public_key().public_bytes_raw()).decode()
    spec = _setup_spec(public_key)
    # With DATABASE_URL and REDIS_URL (`make test-client-services`): the services topology, web,
    # engine and a Celery worker on PostgreSQL and Redis. Otherwise the embedded server.
    services = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
    stack = stack_create(workdir, services=services)
    try:
        script = (Path(__file__).parent / "server_setup.py").read_text()
        output = stack.manage(
            "shell", "-c", script, extra_env={"CLIENT_TEST_SETUP": json.dumps(spec)}
        )
        line = next(x for x in output.splitlines() if x.startswith("CLIENT-TEST-SETUP "))
        made = json.loads(line.removeprefix("CLIENT-TEST-SETUP "))
        # Many logins come from one address in this suite; the login brake is tested by the
        # server's own suite.
        stack.start_web({"LOGIN_RATE_LIMIT": "1000/m"})
        if services:
            stack.start_engine()
            stack.start_worker()
    except BaseException:
        stack.stop()
        raise
    return Server(
        stack=stack,
        base_url=stack.base_url,
        admin_password=stack.password,
        passwords={u["username"]: u["password"] for u in spec["users"]},
        accounts=made["accounts"],
        keys=made["keys"],
        ed25519_private_key=private_key,
        services=services,
    )


class RecordingSleep:
    """A `sleep` for the client that records the delays and returns at once (advancing a
    FakeClock when given one)."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.calls: list[float] = []
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.clock is not None:
            self.clock.now += seconds


class AsyncRecordingSleep(RecordingSleep):
    async def __call__(self, seconds: float) -> None:  # type: ignore[override]
        RecordingSleep.__call__(self, seconds)


class FakeClock:
    """A monotonic clock the test moves (the sleep double moves it by each delay)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
