"""/health and /status in-process: real checks of the database, cache and channel layer."""

import asyncio

import pytest
from django.contrib.auth import get_user_model

import trading_api
from engine.runner import Engine

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")
    client.force_login(user)
    return client


def test_health_is_public_and_ok(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "up", "cache": "up"}}


def test_status_reports_embedded_mode_and_connections(staff_client, settings):
    body = staff_client.get("/api/v1/status").json()
    assert body["mode"] == settings.RUN_MODE
    assert body["version"] == trading_api.__version__
    connections = body["connections"]
    assert connections["database"] == "up"
    assert connections["cache"] == "up"
    assert connections["channel_layer"] == "up"


def test_status_shows_engine_down_without_heartbeat(staff_client):
    body = staff_client.get("/api/v1/status").json()
    assert body["engine"] == {
        "state": "down",
        "started_at": None,
        "uptime_s": None,
        "pid": None,
        "host": None,
    }


def test_status_shows_engine_running_while_it_beats(staff_client):
    # given: an engine that has beaten once and is still running
    async def run_one_beat():
        engine = Engine(components=[], mode="embedded", heartbeat_interval_s=60)
        task = asyncio.create_task(engine.run())
        from engine.heartbeat import heartbeat_read

        while await asyncio.to_thread(heartbeat_read) is None:
            await asyncio.sleep(0.01)
        return engine, task

    loop = asyncio.new_event_loop()
    try:
        engine, task = loop.run_until_complete(run_one_beat())
        # when
        body = staff_client.get("/api/v1/status").json()
        # then
        assert body["engine"]["state"] == "running"
        assert body["engine"]["pid"] is not None
        assert body["engine"]["started_at"].endswith("Z")
        engine.stop()
        loop.run_until_complete(task)
    finally:
        loop.close()
    # and a clean stop removes the heartbeat at once
    assert staff_client.get("/api/v1/status").json()["engine"]["state"] == "down"


def test_status_shows_the_accounts_trading_state_and_book(trader, account, aapl, settings):
    from decimal import Decimal

    from access.tests.helpers import key_make, simple_client
    from orders.services import order_submit
    from risk.services import trading_reduce_only

    settings.RATE_LIMITS = {"data": "1000/s", "trading": "1000/s"}
    order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=Decimal("1"), limit_price=Decimal("90"),
    )  # fmt: skip
    trading_reduce_only(account=account, reason="earnings")
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))

    body = simple_client(api_key, secret).get("/api/v1/status").json()

    assert {name: body[name] for name in (
        "account", "trading_state", "open_orders", "open_positions", "dd_zone",
    )} == {
        "account": account.pk, "trading_state": "reduce_only", "open_orders": 1,
        "open_positions": 0, "dd_zone": "normal",
    }  # fmt: skip


def test_status_without_a_single_account_still_reports_the_system(
    staff_client, account, other_account
):
    body = staff_client.get("/api/v1/status").json()
    assert (body["account"], body["trading_state"], body["connections"]["database"]) == (
        None, None, "up",
    )  # fmt: skip
