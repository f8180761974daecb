"""Cost of authentication: authenticated GET /api/v1/me per scheme against the /health baseline.

Starts its own server (`manage.py serve` on a free loopback port) over a fresh SQLite database in a
temporary directory (or the PostgreSQL of DATABASE_URL if set), creates a user and one key per
scheme, then measures requests/s and p50/p99 latency with a bounded number of requests per scheme.

    .venv/bin/python bench/bench_auth.py [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import free_port, manage, wait_until_up
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
USERNAME = "bench"
UNLIMITED = "1000000/s"


def setup(env: dict, password: str) -> dict:
    """Migrate, create the user, its account and a key per scheme; return the credentials."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as U\n"
        "from access.models import Account\n"
        "from access.services import account_create, membership_add\n"
        f"user = U().objects.filter(username={USERNAME!r}).first() or "
        f"U().objects.create_superuser({USERNAME!r}, '', {password!r})\n"
        "account = Account.objects.filter(name='Bench').first() or account_create(name='Bench')\n"
        "membership_add(user=user, account=account, is_default=True)\n",
    )
    limits = json.dumps({"data": UNLIMITED, "trading": UNLIMITED})
    common = ["--username", USERNAME, "--account", "Bench", "--scopes", "read"]
    simple = json.loads(manage(env, "create_api_key", *common, "--rate-limits", limits, "--json"))
    signed = json.loads(
        manage(
            env, "create_api_key", *common, "--scheme", "hmac", "--rate-limits", limits, "--json"
        )
    )
    private_key = Ed25519PrivateKey.generate()
    public_b64 = base64.b64encode(private_key.public_key().public_bytes_raw()).decode()
    ed = json.loads(
        manage(
            env,
            "create_api_key",
            *common,
            "--public-key",
            public_b64,
            "--rate-limits",
            limits,
            "--json",
        )
    )
    return {"simple": simple, "hmac": signed, "ed25519": ed, "private_key": private_key}


def signed_headers(key_id: str, path: str, query: str, sign) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    message = f"{timestamp}GET{path}?{query}".encode()
    return {"X-API-Key": key_id, "X-Timestamp": timestamp, "X-Signature": sign(message)}


def scheme_headers(credentials: dict, access_token: str):
    """name -> function(query) returning the headers of one request."""
    hmac_secret = credentials["hmac"]["secret"].encode()
    private_key = credentials["private_key"]
    simple = credentials["simple"]
    return {
        "health (no auth)": ("/api/v1/health", lambda query: {}),
        "JWT": ("/api/v1/me", lambda query: {"Authorization": f"Bearer {access_token}"}),
        "Api-Key": (
            "/api/v1/me",
            lambda query: {"Authorization": f"Api-Key {simple['key_id']}.{simple['secret']}"},
        ),
        "HMAC": (
            "/api/v1/me",
            lambda query: signed_headers(
                credentials["hmac"]["key_id"],
                "/api/v1/me",
                query,
                lambda message: hmac.new(hmac_secret, message, hashlib.sha256).hexdigest(),
            ),
        ),
        "Ed25519": (
            "/api/v1/me",
            lambda query: signed_headers(
                credentials["ed25519"]["key_id"],
                "/api/v1/me",
                query,
                lambda message: base64.b64encode(private_key.sign(message)).decode(),
            ),
        ),
    }


async def measure(base: str, path: str, headers_for, requests: int, concurrency: int) -> dict:
    """Send `requests` GETs with `concurrency` workers; return rps, p50, p99 and failures."""
    latencies: list[float] = []
    failures = 0
    counter = iter(range(requests))

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def worker():
            nonlocal failures
            for n in counter:
                # A distinct query per request: signed requests must never repeat a message.
                query = f"n={n}"
                headers = headers_for(query)
                started = time.perf_counter()
                response = await client.get(f"{path}?{query}", headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": requests / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per scheme")
    parser.add_argument("--warmup", type=int, default=200, help="per scheme, not measured")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-auth-") as tmp:
        password = secrets.token_urlsafe(16)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "trading_api.settings",
            "LOCAL_DIR": tmp,
            "SQLITE_PATH": str(Path(tmp) / "db.sqlite3"),
            "ENGINE_EMBEDDED": "false",
            "RATE_LIMIT_DATA": UNLIMITED,
            "RATE_LIMIT_TRADING": UNLIMITED,
            "LOG_LEVEL": "WARNING",
        }
        credentials = setup(env, password)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [PYTHON, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_until_up(base, server)
            token = httpx.post(
                f"{base}/api/v1/auth/token", json={"username": USERNAME, "password": password}
            ).json()["access"]
            results = {}
            for name, (path, headers_for) in scheme_headers(credentials, token).items():
                asyncio.run(measure(base, path, headers_for, args.warmup, args.concurrency))
                results[name] = asyncio.run(
                    measure(base, path, headers_for, args.requests, args.concurrency)
                )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(
        f"\nGET /api/v1/me, {args.requests} requests per scheme, concurrency {args.concurrency}, "
        f"one daphne process, {database}, loopback\n"
    )
    baseline = results["health (no auth)"]["rps"]
    print(f"{'scheme':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs health':>11}{'errors':>8}")
    for name, row in results.items():
        print(
            f"{name:<18}{row['rps']:>9.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
            f"{row['rps'] / baseline:>10.2f}x{row['failures']:>8}"
        )


if __name__ == "__main__":
    main()
