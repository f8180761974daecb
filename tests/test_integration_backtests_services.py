"""Backtests on real Celery workers (PostgreSQL, Redis): events, a sweep on two worker processes,
cancel, and a worker killed with SIGKILL in the middle of a backtest."""

import asyncio
import itertools
import os
import signal
from datetime import datetime

import pytest
from channels_redis.core import RedisChannelLayer

from tests.backtest_stacks import backtest_body, candles_seed, ok, operation_wait, trade_client
from tests.harness import CELERY, stack_create

pytestmark = [pytest.mark.services, pytest.mark.integration]

BARS = 120_000
# Short heartbeat TTL and check interval, so a dead worker's operation fails within seconds.
FAST_STALE = {"OPERATION_HEARTBEAT_TTL_S": "3", "OPERATION_STALE_CHECK_INTERVAL_S": "1"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        pytest.fail("the services stack needs DATABASE_URL and REDIS_URL (make test-services)")
    stack = stack_create(tmp_path_factory.mktemp("backtests-services"), services=True)
    stack.env.update(FAST_STALE)
    try:
        stack.start_web()
        stack.spawn(
            "beat",
            [CELERY, "-A", "trading_api", "beat", "--loglevel", "INFO",
             "--schedule", str(stack.workdir / "beat-schedule")],
        )  # fmt: skip
        stack.start_worker()
        stack.start_worker()
        candles_seed(stack, count=BARS)
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def client(stack):
    with trade_client(stack) as client:
        yield client


def _workers(stack):
    return [p for p in stack.processes if p.name == "worker" and p.alive()]


def test_progress_events_reach_the_accounts_operations_group(stack, client):
    account_id = ok(client.get("/me"))["accounts"][0]["id"]
    layer = RedisChannelLayer(
        hosts=[{"address": stack.env["REDIS_URL"]}], prefix=stack.env["CHANNEL_LAYER_PREFIX"]
    )

    async def scenario():
        channel = await layer.new_channel("test.")
        await layer.group_add(f"account.{account_id}.operations", channel)
        accepted = await asyncio.to_thread(
            lambda: ok(client.post("/backtests", json=backtest_body()), 202)
        )
        events = []
        while not (events and events[-1]["event"] == "operation.finished"):
            message = await asyncio.wait_for(layer.receive(channel), timeout=60)
            if message["data"]["id"] == accepted["operation_id"]:
                events.append(message)
        await layer.flush()
        return accepted, events

    accepted, events = asyncio.run(scenario())
    assert events[-1]["data"]["status"] == "completed"
    detail = ok(client.get(f"/operations/{accepted['operation_id']}"))
    assert events[-1]["data"] == detail
    progress = [
        e["data"] for e in events if e["data"]["progress"]["phase"] in ("loading", "simulating")
    ]
    assert len(progress) >= 3
    done = [p["progress"]["items_done"] for p in progress]
    assert done == sorted(done)
    # checkpoints publish at most every 100 ms (their heartbeat is the write's time)
    beats = [datetime.fromisoformat(p["heartbeat_at"]) for p in progress]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(beats)]
    assert min(gaps) >= 0.09, gaps


def test_a_sweep_spreads_over_two_worker_processes(stack, client):
    assert len(_workers(stack)) == 2
    accepted = ok(
        client.post(
            "/backtests/sweeps",
            json={
                **backtest_body(start="2020-01-01T00:00:00Z", end="2020-01-21T00:00:00Z"),
                "grid": {"fast": [5, 10, 15], "slow": [30, 60, 120]},
                "rank_by": "total_return_pct",
            },
        ),
        202,
    )
    assert accepted["combinations"] == 9
    parent = operation_wait(
        client,
        accepted["operation_id"],
        until=lambda b: b["status"] in ("completed", "failed", "cancelled"),
        timeout=180,
        what="sweep finished",
    )
    assert parent["status"] == "completed"
    assert parent["result"] == {"children": {"completed": 9, "failed": 0, "cancelled": 0}}
    assert parent["progress"]["percentage"] == "100"
    children = ok(client.get(f"/operations?parent={accepted['operation_id']}&limit=50"))["results"]
    assert len(children) == 9
    workers = {child["worker"] for child in children}
    assert len(workers) == 2, workers
    sweep = ok(client.get(f"/backtests/sweeps/{accepted['sweep_id']}"))
    returns = [float(r["total_return_pct"]) for r in sweep["results"]]
    assert returns == sorted(returns, reverse=True)


def test_cancel_a_running_backtest_on_a_worker(stack, client):
    accepted = ok(client.post("/backtests", json=backtest_body(parameters={"fast": 7})), 202)
    operation_id = accepted["operation_id"]
    operation_wait(
        client,
        operation_id,
        until=lambda b: b["status"] == "running" and b["progress"]["items_done"] > 0,
        timeout=60,
        what="backtest running",
    )
    ok(client.delete(f"/operations/{operation_id}/cancel"), 202)
    body = operation_wait(
        client, operation_id, until=lambda b: b["status"] != "running", timeout=10, what="stop"
    )
    assert body["status"] == "cancelled"
    stopped = datetime.fromisoformat(body["finished_at"])
    asked = datetime.fromisoformat(body["cancel_requested_at"])
    assert (stopped - asked).total_seconds() < 1.0
    assert ok(client.get(f"/operations/{operation_id}/metrics"))["metrics"]


def test_a_worker_killed_mid_backtest_leaves_it_failed_never_running(stack, client):
    # given: a backtest running on one of the two workers
    accepted = ok(client.post("/backtests", json=backtest_body(parameters={"fast": 9})), 202)
    operation_id = accepted["operation_id"]
    running = operation_wait(
        client,
        operation_id,
        until=lambda b: b["status"] == "running" and b["progress"]["items_done"] > 0,
        timeout=60,
        what="backtest running",
    )
    pid = int(running["worker"].rsplit(":", 1)[1])
    victim = next(p for p in _workers(stack) if p.pid == pid)
    # when: its worker dies without a chance to clean up
    victim.stop(signal.SIGKILL)
    # then: the stale check (beat, on the other worker) fails it with a clear error
    body = operation_wait(
        client, operation_id, until=lambda b: b["status"] != "running", timeout=30, what="failed"
    )
    assert body["status"] == "failed"
    assert body["error"]["code"] == "WORKER_LOST"
    assert running["worker"] in body["error"]["message"]
    backtest = ok(client.get(f"/backtests/{accepted['backtest_id']}"))
    assert backtest["status"] == "failed"
    # and the remaining worker still runs new backtests
    again = ok(client.post("/backtests", json=backtest_body(end="2020-01-03T00:00:00Z")), 202)
    done = operation_wait(
        client,
        again["operation_id"],
        until=lambda b: b["status"] in ("completed", "failed"),
        timeout=60,
        what="next backtest",
    )
    assert done["status"] == "completed"
