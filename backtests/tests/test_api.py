"""Strategy, backtest and sweep endpoints, as a user calls them."""

import json
from decimal import Decimal

import pytest

from backtests.models import Backtest
from operations.models import Operation

D = Decimal
pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def error_of(response):
    body = response.json()["error"]
    return response.status_code, body["code"], body["details"]


def start(client, capture, **fields):
    body = {"strategy": "sma_crossover", "symbol": "GOOG", "interval": "1d", **fields}
    with capture(execute=True):
        response = post(client, "/api/v1/backtests", body)
    assert response.status_code == 202, response.content
    return response


def test_list_and_show_strategies(client):
    body = client.get("/api/v1/strategies").json()
    names = [s["name"] for s in body["results"]]
    assert names == ["bollinger_breakout", "buy_and_hold", "rsi_mean_reversion", "sma_crossover"]
    sma = client.get("/api/v1/strategies/sma_crossover").json()
    assert sma["defaults"] == {"fast": 10, "slow": 20, "allow_short": False}
    assert sma["parameters_schema"]["properties"]["fast"]["minimum"] == 1
    assert error_of(client.get("/api/v1/strategies/nope"))[:2] == (404, "STRATEGY_NOT_FOUND")


def test_start_a_backtest_and_read_its_results(
    client, account, goog, django_capture_on_commit_callbacks
):
    # when
    response = start(
        client,
        django_capture_on_commit_callbacks,
        initial_capital="10000",
        start="2005-01-01T00:00:00Z",
        end="2010-12-31T00:00:00Z",
        parameters={"fast": 10, "slow": 30},
    )
    # then: 202 with both ids and where to look
    accepted = response.json()
    backtest = Backtest.objects.get(pk=accepted["backtest_id"])
    assert accepted == {"operation_id": backtest.operation_id, "backtest_id": backtest.pk}
    assert response.headers["Location"].endswith(f"/api/v1/backtests/{backtest.pk}")
    body = client.get(f"/api/v1/backtests/{backtest.pk}").json()
    assert body["status"] == "completed"
    assert body["progress"]["percentage"] == "100"
    assert body["parameters"] == {"fast": 10, "slow": 30, "allow_short": False}
    assert body["commission"] == "0.0005"  # the venue's default taker rate
    assert body["slippage_bps"] == "1"
    assert body["first_bar_at"] == "2005-01-03T00:00:00Z"
    assert body["bars"] == len(body["equity_curve"]) == len(body["drawdown_curve"])
    assert len(body["dataset_fingerprint"]) == len(body["result_hash"]) == 64
    for name in (
        "sharpe_ratio",
        "sortino_ratio",
        "max_drawdown_pct",
        "total_return_pct",
        "cagr_pct",
        "win_rate",
        "profit_factor",
        "exposure_pct",
        "final_equity",
    ):
        value = body[name]
        assert isinstance(value, str), name
        assert "E" not in value, (name, value)
        assert value != "-0", name
        assert value == str(D(value).normalize()) or "." not in value, (name, value)
    assert body["total_trades"] == len(body["trades"]) > 0
    trade = body["trades"][0]
    assert set(trade) == {
        "side", "quantity", "entry_bar", "entry_time", "entry_price", "exit_bar", "exit_time",
        "exit_price", "pnl", "pnl_pct", "fees",
    }  # fmt: skip
    assert trade["exit_bar"] > trade["entry_bar"]
    assert body["equity_curve"][0] == {"timestamp": "2005-01-03T00:00:00Z", "equity": "10000"}
    assert D(body["equity_curve"][-1]["equity"]) == D(body["final_equity"])
    # and the operation says the same
    operation = client.get(f"/api/v1/operations/{backtest.operation_id}").json()
    assert operation["type"] == "backtest"
    assert operation["status"] == "completed"
    assert operation["result"]["backtest_id"] == backtest.pk
    assert operation["result"]["result_hash"] == body["result_hash"]
    metrics = client.get(f"/api/v1/operations/{backtest.operation_id}/metrics").json()["metrics"]
    assert metrics["bars_total"] == body["bars"]
    assert metrics["trades"] == body["total_trades"]


def test_the_same_inputs_give_the_same_result_hash(
    client, goog, django_capture_on_commit_callbacks
):
    fields = {"parameters": {"fast": 8, "slow": 21, "allow_short": True}, "commission": "0.001"}
    first = start(client, django_capture_on_commit_callbacks, **fields).json()["backtest_id"]
    second = start(client, django_capture_on_commit_callbacks, **fields).json()["backtest_id"]
    other = start(
        client, django_capture_on_commit_callbacks, **{**fields, "commission": "0.002"}
    ).json()["backtest_id"]
    a, b, c = (Backtest.objects.get(pk=pk) for pk in (first, second, other))
    assert a.dataset_fingerprint == b.dataset_fingerprint == c.dataset_fingerprint
    assert a.result_hash == b.result_hash
    assert a.trades == b.trades
    assert a.result_hash != c.result_hash


KNOWN_STRATEGIES = "bollinger_breakout, buy_and_hold, rsi_mean_reversion, sma_crossover"
BAD_INPUT = [
    ({"parameters": {"fast": 0}}, {"parameters.fast": ["Must be at least 1."]}),
    (
        {"parameters": {"fast": 30, "slow": 20}},
        {"parameters.fast": ["Must be less than slow (20)."]},
    ),
    (
        {"parameters": {"speed": 1}},
        {"parameters.speed": ["Unknown parameter (known: fast, slow, allow_short)."]},
    ),
    (
        {"parameters": {"allow_short": "maybe"}},
        {"parameters.allow_short": ["Must be true or false."]},
    ),
    ({"strategy": "moon"}, {"strategy": [f"Unknown strategy 'moon' (known: {KNOWN_STRATEGIES})."]}),
    ({"symbol": "NOPE"}, {"symbol": ["Unknown symbol 'NOPE'."]}),
    ({"initial_capital": "0"}, {"initial_capital": ["Must be greater than 0."]}),
    (
        {"commission": "0.5"},
        {"commission": ["Must be a rate from 0 up to (not including) 0.1."]},
    ),
    (
        {"start": "2010-01-01T00:00:00Z", "end": "2009-01-01T00:00:00Z"},
        {"start": ["Must be before end."]},
    ),
]


@pytest.mark.parametrize(("fields", "expected"), BAD_INPUT)
def test_bad_input_is_400_naming_the_field_and_starts_nothing(client, goog, fields, expected):
    body = {"strategy": "sma_crossover", "symbol": "GOOG", **fields}
    status, code, details = error_of(post(client, "/api/v1/backtests", body))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert details["fields"] == expected
    assert Backtest.objects.count() == 0
    assert Operation.objects.count() == 0


def test_a_range_without_candles_is_422(client, goog):
    body = {"strategy": "buy_and_hold", "symbol": "GOOG", "start": "2030-01-01T00:00:00Z"}
    assert error_of(post(client, "/api/v1/backtests", body))[:2] == (422, "BACKTEST_NO_DATA")
    assert Operation.objects.count() == 0


def test_history_is_newest_first_filtered_and_scoped(
    client, other_client, goog, minutes, django_capture_on_commit_callbacks
):
    first = start(client, django_capture_on_commit_callbacks).json()["backtest_id"]
    second = start(
        client, django_capture_on_commit_callbacks, strategy="buy_and_hold", symbol="WALK",
        interval="1h",
    ).json()["backtest_id"]  # fmt: skip
    foreign = start(other_client, django_capture_on_commit_callbacks).json()["backtest_id"]
    listed = client.get("/api/v1/backtests").json()
    assert [b["id"] for b in listed["results"]] == [second, first]
    assert "equity_curve" not in listed["results"][0]
    by_strategy = client.get("/api/v1/backtests?strategy=sma_crossover").json()["results"]
    assert [b["id"] for b in by_strategy] == [first]
    by_symbol = client.get("/api/v1/backtests?symbol=walk").json()["results"]
    assert [b["id"] for b in by_symbol] == [second]
    assert by_symbol[0]["bars"] == 72  # three days of minutes, aggregated to hours
    assert error_of(client.get(f"/api/v1/backtests/{foreign}"))[:2] == (404, "BACKTEST_NOT_FOUND")


def test_starting_needs_the_trade_scope(reader, goog):
    body = {"strategy": "buy_and_hold", "symbol": "GOOG"}
    assert error_of(post(reader, "/api/v1/backtests", body))[:2] == (403, "PERMISSION_DENIED")
    assert reader.get("/api/v1/strategies").status_code == 200


def test_a_sweep_runs_every_combination_under_one_parent_and_ranks_them(
    client, account, goog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            "/api/v1/backtests/sweeps",
            {
                "strategy": "sma_crossover",
                "symbol": "GOOG",
                "grid": {"fast": [5, 10, 15], "slow": [20, 40]},
                "parameters": {"allow_short": True},
                "rank_by": "total_return_pct",
            },
        )
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["combinations"] == 6
    assert len(accepted["backtest_ids"]) == 6
    parent = Operation.objects.get(pk=accepted["operation_id"])
    assert parent.type == "backtest_sweep"
    assert parent.status == "completed"
    assert parent.children.count() == 6
    assert parent.items_done == parent.items_total > 0
    body = client.get(response.headers["Location"]).json()
    assert body["status"] == "completed"
    returns = [D(r["total_return_pct"]) for r in body["results"]]
    assert returns == sorted(returns, reverse=True)
    assert [r["rank"] for r in body["results"]] == [1, 2, 3, 4, 5, 6]
    assert {(r["parameters"]["fast"], r["parameters"]["slow"]) for r in body["results"]} == {
        (5, 20), (5, 40), (10, 20), (10, 40), (15, 20), (15, 40)
    }  # fmt: skip
    # ranked by another statistic on request; drawdown ranks smallest first
    by_drawdown = client.get(f"{response.headers['Location']}?rank_by=max_drawdown_pct").json()
    drawdowns = [D(r["max_drawdown_pct"]) for r in by_drawdown["results"]]
    assert drawdowns == sorted(drawdowns)
    children = client.get(f"/api/v1/operations?parent={parent.pk}").json()["results"]
    assert len(children) == 6
    assert {c["status"] for c in children} == {"completed"}


def test_a_sweep_refuses_a_combination_the_rules_forbid(client, goog):
    body = {"strategy": "sma_crossover", "symbol": "GOOG", "grid": {"fast": [10, 30], "slow": [20]}}
    status, code, details = error_of(post(client, "/api/v1/backtests/sweeps", body))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert list(details["fields"]) == ["grid.fast"]
    assert "Must be less than slow (20)." in details["fields"]["grid.fast"][0]
    assert Operation.objects.count() == 0
    too_big = {**body, "grid": {"fast": list(range(1, 40)), "slow": list(range(41, 80))}}
    assert error_of(post(client, "/api/v1/backtests/sweeps", too_big))[2]["fields"] == {
        "grid": ["1521 combinations; at most 1000 may run in one sweep."]
    }


def test_the_openapi_schema_documents_the_endpoints(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/strategies",
        "/api/v1/strategies/{name}",
        "/api/v1/backtests",
        "/api/v1/backtests/{backtest_id}",
        "/api/v1/backtests/sweeps",
        "/api/v1/backtests/sweeps/{sweep_id}",
        "/api/v1/operations",
        "/api/v1/operations/{operation_id}",
        "/api/v1/operations/{operation_id}/metrics",
        "/api/v1/operations/{operation_id}/cancel",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/operations/{operation_id}/cancel"]) == {"delete", "post"}
