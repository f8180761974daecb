"""The services topology: daphne, a Celery worker and engine processes on PostgreSQL and Redis."""

import json
import signal
import uuid

import httpx
import pytest
from celery import Celery
from websockets.sync.client import connect

from tests.harness import PYTHON, free_port, stack_create, wait_until

pytestmark = [pytest.mark.services, pytest.mark.integration]


def test_status_reports_services_mode_with_every_connection_up(services_stack):
    with services_stack.session_client() as client:
        body = wait_until(
            lambda: (s := services_stack.status(client))["engine"]["state"] == "running" and s,
            timeout=20,
            what="engine heartbeat",
        )
    assert body["mode"] == "services"
    connections = body["connections"]
    assert connections["database"] == "up"
    assert connections["cache"] == "up"
    assert connections["channel_layer"] == "up"
    assert connections["broker"] == "up"
    assert connections["workers"]["state"] == "up"
    assert connections["workers"]["count"] >= 1


def test_task_result_from_a_real_worker(services_stack):
    client = Celery(broker=services_stack.env["REDIS_URL"], backend=services_stack.env["REDIS_URL"])
    nonce = uuid.uuid4().hex
    result = client.send_task(
        "trading_api.worker_ping", args=[nonce], queue=services_stack.env["CELERY_QUEUE"]
    )
    assert result.get(timeout=30)["nonce"] == nonce


def test_websocket_round_trip(services_stack):
    url = services_stack.base_url.replace("http://", "ws://") + "/ws/v1/stream"
    with connect(url, origin=services_stack.base_url, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}


def test_standby_engine_takes_over_and_a_dead_engine_shows_down(services_stack):
    stack = services_stack
    with stack.session_client() as client:
        engine_pid = lambda: stack.status(client)["engine"]["pid"]  # noqa: E731
        leader = next(p for p in stack.processes if p.name == "engine" and p.alive())
        wait_until(lambda: engine_pid() == leader.pid, timeout=20, what="the first leader")
        # given: a standby engine waiting for the lock
        standby = stack.start_engine()
        assert "standby:" in standby.log()
        # when: the leader dies without a chance to clean up
        leader.stop(signal.SIGKILL)
        # then: the standby takes over within a few seconds
        wait_until(lambda: engine_pid() == standby.pid, timeout=10, what="standby takeover")
        assert "leader:" in standby.log()
        # and when the last engine dies, status shows the engine down within a few seconds
        standby.stop(signal.SIGKILL)
        wait_until(
            lambda: stack.status(client)["engine"]["state"] == "down",
            timeout=6,
            what="engine shown down",
        )
        # leave the stack with a running engine for the tests that follow
        stack.start_engine()
        wait_until(
            lambda: stack.status(client)["engine"]["state"] == "running",
            timeout=20,
            what="a new engine",
        )


def test_health_is_503_when_postgres_is_unreachable(tmp_path):
    stack = stack_create(tmp_path / "broken", services=True)
    try:
        stack.start_web(
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/unreachable"}, expect_healthy=False
        )
        response = httpx.get(f"{stack.base_url}/api/v1/health")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    finally:
        stack.stop()


def test_the_production_http_workers_serve_on_the_pool_beside_daphne(services_stack):
    # given: gunicorn (two workers, a connection pool) on the same database and Redis
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    http = services_stack.spawn(
        "http",
        [
            PYTHON,
            "manage.py",
            "serve_http",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
        ],
        {"DATABASE_POOL_SIZE": "4"},
    )
    try:
        wait_until(
            lambda: (
                services_stack.assert_alive(http)
                or httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200
            ),
            timeout=60,
            what="gunicorn workers",
        )
        # when: a session made on daphne reads the status through the workers
        with services_stack.session_client() as client:
            response = httpx.get(f"{base}/api/v1/status", cookies=client.cookies, timeout=10)
    finally:
        http.stop(signal.SIGTERM)
    # then: every connection is up from the WSGI side too
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "services"
    assert body["connections"]["database"] == "up"
    assert body["connections"]["channel_layer"] == "up"
