"""A lockout is shared between processes: decided in one web process (daphne), refused by another
(gunicorn), each refusing it in front of Django, and lifted everywhere within the documented bound
(RATE_LIMIT_LOCAL_HOLD_SECONDS) when the shared counters go."""

import os
import uuid

import httpx
import pytest
import redis

from tests.harness import PYTHON, free_port, wait_until

pytestmark = [pytest.mark.services, pytest.mark.integration]

HOLD_SECONDS = 1
# Time for the answers themselves on a busy machine, on top of the documented bound.
SLACK_SECONDS = 4
ATTACKER = "127.0.0.9"
_ONE_WORKER = ["--workers", "1", "--threads", "2"]


def _attacker(base: str) -> httpx.Client:
    return httpx.Client(
        base_url=base,
        transport=httpx.HTTPTransport(local_address=ATTACKER),
        headers={"Authorization": "Api-Key ksharedlock.wrong"},
        timeout=10,
    )


@pytest.fixture
def two_web_processes(services_stack):
    """A daphne and a gunicorn process on the stack's database and Redis, sharing a cache prefix
    of their own, with a small refused-credential budget."""
    prefix = f"floods-{uuid.uuid4().hex[:8]}"
    env = {
        "CACHE_KEY_PREFIX": prefix,
        "RATE_LIMIT_AUTH_FAILURES": "3/h",
        "RATE_LIMIT_LOCAL_HOLD_SECONDS": str(HOLD_SECONDS),
        "RATE_LIMIT_REFUSAL_DELAY_SECONDS": "0",
        "DATABASE_POOL_SIZE": "4",
    }
    daphne_port, gunicorn_port = free_port(), free_port()
    processes = [
        services_stack.spawn(
            "web-floods",
            [PYTHON, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(daphne_port)],
            env,
        ),
        services_stack.spawn(
            "http-floods",
            [PYTHON, "manage.py", "serve_http", "--port", str(gunicorn_port), *_ONE_WORKER],
            env,
        ),
    ]
    bases = [f"http://127.0.0.1:{port}" for port in (daphne_port, gunicorn_port)]
    try:
        for proc, base in zip(processes, bases, strict=True):
            wait_until(
                lambda proc=proc, base=base: (
                    services_stack.assert_alive(proc)
                    or httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200
                ),
                timeout=60,
                what=f"{proc.name} on {base}",
            )
        yield prefix, bases
    finally:
        for proc in processes:
            proc.stop()


def test_a_lockout_decided_in_one_process_is_refused_by_another_and_lifts_within_the_bound(
    two_web_processes,
):
    prefix, (daphne, gunicorn) = two_web_processes
    with _attacker(daphne) as at_daphne, _attacker(gunicorn) as at_gunicorn:
        assert [at_daphne.get("/api/v1/balances").status_code for _ in range(3)] == [401] * 3
        assert at_daphne.get("/api/v1/balances").status_code == 429
        # The other process has never seen this source: the shared limiter refuses it there.
        for _ in range(3):
            refused = at_gunicorn.post("/api/v1/orders", json={"symbol": "AAPL"})
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "RATE_LIMITED"
            assert int(refused.headers["Retry-After"]) >= 1
        assert at_daphne.get("/api/v1/balances").status_code == 429
        # Probes are never refused, and another address is not locked out.
        assert at_daphne.get("/api/v1/health").status_code == 200
        assert at_gunicorn.get("/api/v1/health").status_code == 200
        for base in (daphne, gunicorn):
            assert httpx.get(f"{base}/api/v1/balances", timeout=10).status_code == 401

        # An operator lifts the lock in the shared cache: each process's copy follows within
        # RATE_LIMIT_LOCAL_HOLD_SECONDS.
        shared = redis.Redis.from_url(os.environ["REDIS_URL"])
        keys = list(shared.scan_iter(match=f"{prefix}:*rl:*"))
        assert keys
        shared.delete(*keys)
        for client in (at_daphne, at_gunicorn):
            wait_until(
                lambda client=client: client.get("/api/v1/balances").status_code == 401,
                timeout=HOLD_SECONDS + SLACK_SECONDS,
                what="the lifted lock to reach the process",
            )
