"""Backtests through a real embedded server (daphne, tasks off the loop), as a new user would."""

from datetime import datetime

import pytest

from tests.backtest_stacks import (
    backtest_body,
    candles_seed,
    ok,
    operation_wait,
    trade_client,
)

pytestmark = pytest.mark.integration

# Enough 1-minute bars that reading them takes seconds: time to watch and to cancel.
BARS = 60_000


@pytest.fixture(scope="module")
def client(embedded_stack):
    candles_seed(embedded_stack, count=BARS)
    with trade_client(embedded_stack) as client:
        yield client


def test_list_strategies_start_watch_and_read_the_results(client):
    # a new user looks at what there is
    strategies = ok(client.get("/strategies"))["results"]
    assert {s["name"] for s in strategies} >= {"sma_crossover", "buy_and_hold"}
    schema = ok(client.get("/strategies/sma_crossover"))["parameters_schema"]
    assert schema["properties"]["slow"]["default"] == 20
    # starts a backtest
    response = client.post("/backtests", json=backtest_body())
    accepted = ok(response, 202)
    assert response.headers["Location"].endswith(f"/api/v1/backtests/{accepted['backtest_id']}")
    # watches it run: the progress moves, then it completes
    seen = set()

    def finished(body):
        seen.add((body["status"], body["progress"]["phase"]))
        return body["status"] == "completed"

    operation_wait(
        client, accepted["operation_id"], until=finished, timeout=120, what="backtest completed"
    )
    assert ("running", "loading") in seen
    # and reads the results
    body = ok(client.get(f"/backtests/{accepted['backtest_id']}"))
    assert body["bars"] == BARS
    assert body["total_trades"] == len(body["trades"]) > 0
    assert 0 < len(body["equity_curve"]) <= 5000
    assert body["equity_curve"][-1]["equity"] == body["final_equity"]
    assert len(body["dataset_fingerprint"]) == 64
    history = ok(client.get("/backtests?strategy=sma_crossover"))["results"]
    assert history[0]["id"] == accepted["backtest_id"]


def test_cancel_a_running_backtest_stops_within_a_second_keeping_partial_metrics(client):
    accepted = ok(client.post("/backtests", json=backtest_body(parameters={"fast": 5})), 202)
    operation_id = accepted["operation_id"]
    operation_wait(
        client,
        operation_id,
        until=lambda b: b["status"] == "running" and b["progress"]["items_done"] > 0,
        timeout=60,
        what="backtest running",
    )
    requested = ok(client.delete(f"/operations/{operation_id}/cancel"), 202)
    assert requested["cancel_requested_at"]
    body = operation_wait(
        client, operation_id, until=lambda b: b["status"] != "running", timeout=10, what="stop"
    )
    assert body["status"] == "cancelled"
    # it stopped at its next checkpoint, within a second of the request
    stopped = datetime.fromisoformat(body["finished_at"])
    asked = datetime.fromisoformat(body["cancel_requested_at"])
    assert (stopped - asked).total_seconds() < 1.0
    metrics = ok(client.get(f"/operations/{operation_id}/metrics"))["metrics"]
    assert metrics.get("bars_loaded", metrics.get("bars_processed", 0)) > 0
    backtest = ok(client.get(f"/backtests/{accepted['backtest_id']}"))
    assert backtest["status"] == "cancelled"
    assert backtest["trades"] == []
    # cancelling it again is a conflict
    again = client.post(f"/operations/{operation_id}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "OPERATION_NOT_CANCELABLE"


def test_a_sweep_runs_in_process_and_ranks(client):
    accepted = ok(
        client.post(
            "/backtests/sweeps",
            json={
                **backtest_body(start="2020-01-01T00:00:00Z", end="2020-01-05T00:00:00Z"),
                "grid": {"fast": [5, 10], "slow": [30, 60, 90]},
                "rank_by": "sharpe_ratio",
            },
        ),
        202,
    )
    assert accepted["combinations"] == 6
    operation_wait(
        client,
        accepted["operation_id"],
        until=lambda b: b["status"] == "completed",
        timeout=120,
        what="sweep completed",
    )
    sweep = ok(client.get(f"/backtests/sweeps/{accepted['sweep_id']}"))
    assert [r["rank"] for r in sweep["results"]] == [1, 2, 3, 4, 5, 6]
    assert {r["status"] for r in sweep["results"]} == {"completed"}
