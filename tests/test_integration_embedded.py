"""The embedded mode as `make run` starts it: one real daphne process with the engine inside."""

import json
import re
import signal

import httpx
import pytest
from websockets.sync.client import connect

from tests.harness import stack_create, wait_until

pytestmark = pytest.mark.integration


def test_health_over_http(embedded_stack):
    response = httpx.get(f"{embedded_stack.base_url}/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "up", "cache": "up"}}
    assert response.headers["X-Request-ID"]


def test_unknown_path_is_json_404_over_http(embedded_stack):
    response = httpx.get(f"{embedded_stack.base_url}/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_status_shows_embedded_mode_with_engine_running(embedded_stack):
    with embedded_stack.session_client() as client:
        body = wait_until(
            lambda: (s := embedded_stack.status(client))["engine"]["state"] == "running" and s,
            timeout=15,
            what="the embedded engine's heartbeat",
        )
    assert body["mode"] == "embedded"
    assert body["connections"]["database"] == "up"
    assert body["connections"]["cache"] == "up"
    assert body["connections"]["channel_layer"] == "up"
    assert body["connections"]["broker"] == "in-process"


def test_docs_render_with_no_external_url(embedded_stack):
    with embedded_stack.session_client() as client:
        for page in ("/api/v1/docs/", "/api/v1/redoc/"):
            response = client.get(page)
            assert response.status_code == 200
            assert re.findall(r"""(?:src|href)=["']https?://""", response.text) == []
            assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", response.text)
            assert assets
            for asset in assets:
                assert client.get(asset).status_code == 200, asset
        assert client.get("/api/v1/schema/").status_code == 200


def test_anonymous_docs_are_sent_to_login(embedded_stack):
    response = httpx.get(f"{embedded_stack.base_url}/api/v1/docs/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/api/v1/auth/login/?next=/api/v1/docs/"


def test_admin_shows_login_page(embedded_stack):
    response = httpx.get(f"{embedded_stack.base_url}/admin/", follow_redirects=True)
    assert response.status_code == 200
    assert 'name="username"' in response.text


def test_websocket_round_trip(embedded_stack):
    url = embedded_stack.base_url.replace("http://", "ws://") + "/ws/v1/stream"
    with connect(url, origin=embedded_stack.base_url, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}


def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    # given: a server whose SQLite file lives under a path that cannot be a directory
    stack = stack_create(tmp_path / "broken", services=False)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    try:
        stack.start_web({"SQLITE_PATH": str(blocker / "db.sqlite3")}, expect_healthy=False)
        # when
        response = httpx.get(f"{stack.base_url}/api/v1/health")
        # then
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    finally:
        stack.stop()


def test_sigterm_stops_the_embedded_engine_before_the_server_exits(tmp_path):
    stack = stack_create(tmp_path / "graceful", services=False)
    try:
        web = stack.start_web()
        with stack.session_client() as client:
            wait_until(
                lambda: stack.status(client)["engine"]["state"] == "running",
                timeout=15,
                what="the embedded engine",
            )
        web.stop(signal.SIGTERM)
        assert web.popen.returncode == 0
        assert "engine stopped" in web.log()
    finally:
        stack.stop()
