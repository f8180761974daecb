"""Strategies, backtests and operations through the client, against the real server and its
in-process workers."""

from decimal import Decimal

import pytest
from support import wait_until
from trading_client.errors import (
    BacktestNotFoundError,
    OperationNotCancelableError,
    OperationNotFoundError,
    StrategyNotFoundError,
    SweepNotFoundError,
    ValidationError,
)


@pytest.fixture
def client(server):
    return server.client("cli-hmac")


def test_strategies_describe_their_parameters(client):
    strategies = {s.name: s for s in client.backtests.strategies()}
    assert "sma_crossover" in strategies
    one = client.backtests.strategy("sma_crossover")
    assert one.defaults == strategies["sma_crossover"].defaults
    assert "fast" in one.parameters_schema["properties"]
    with pytest.raises(StrategyNotFoundError):
        client.backtests.strategy("nope")


def test_a_backtest_runs_to_completion_with_figures(client):
    started = client.backtests.run(
        "sma_crossover", "AAPL", interval="1m", parameters={"fast": 5, "slow": 20},
        initial_capital=Decimal("10000"),
    )  # fmt: skip
    operation = wait_until(
        lambda: (op := client.operations.get(started.operation_id)).finished and op,
        timeout=120,
        what="the backtest to finish",
    )
    assert operation.status == "completed"
    assert operation.progress.percentage == Decimal(100)
    backtest = client.backtests.get(started.backtest_id)
    assert backtest.status == "completed"
    assert isinstance(backtest.final_equity, Decimal)
    assert backtest.initial_capital == Decimal("10000")
    assert started.backtest_id in [b.id for b in client.backtests.list(strategy="sma_crossover")]
    assert started.operation_id in [o.id for o in client.operations.list(type="backtest")]
    with pytest.raises(OperationNotCancelableError):
        client.operations.cancel(started.operation_id)


def test_bad_parameters_are_a_validation_error(client):
    with pytest.raises(ValidationError):
        client.backtests.run("sma_crossover", "AAPL", parameters={"fast": 30, "slow": 10})


def test_a_sweep_ranks_its_combinations(client):
    started = client.backtests.run_sweep(
        "sma_crossover", "AAPL", {"fast": [5, 10], "slow": [20]}, interval="1m",
        rank_by="total_return_pct",
    )  # fmt: skip
    assert started.combinations == len(started.backtest_ids) == 2

    operation = wait_until(
        lambda: (op := client.operations.get(started.operation_id)).finished and op,
        timeout=120,
        what="the sweep to finish",
    )
    assert (operation.type, operation.status) == ("backtest_sweep", "completed")
    sweep = client.backtests.get_sweep(started.sweep_id)
    assert (sweep.id, sweep.rank_by, sweep.combinations) == (
        started.sweep_id,
        "total_return_pct",
        2,
    )
    assert sorted(b.id for b in sweep.results) == sorted(started.backtest_ids)
    assert [b.rank for b in sweep.results] == [1, 2]
    returns = [b.total_return_pct for b in sweep.results]
    assert returns == sorted(returns, reverse=True)
    assert {b.parameters["fast"] for b in sweep.results} == {5, 10}
    by_trades = client.backtests.get_sweep(started.sweep_id, rank_by="total_trades")
    assert by_trades.rank_by == "total_trades"
    in_sweep = client.backtests.list(sweep=started.sweep_id)
    assert sorted(b.id for b in in_sweep) == sorted(started.backtest_ids)
    assert all(b.sweep == started.sweep_id for b in in_sweep)

    best = sweep.results[0]
    metrics = client.operations.metrics(best.operation_id)
    assert (metrics.id, metrics.type, metrics.status) == (
        best.operation_id,
        "backtest",
        "completed",
    )
    assert metrics.metrics["bars_processed"] == best.bars
    assert metrics.metrics["trades"] == best.total_trades
    assert client.operations.metrics(started.operation_id).type == "backtest_sweep"


def test_unknown_sweeps_and_operations_are_typed_errors(client):
    with pytest.raises(SweepNotFoundError):
        client.backtests.get_sweep(999999999)
    with pytest.raises(OperationNotFoundError):
        client.operations.metrics(999999999)
    with pytest.raises(BacktestNotFoundError):
        client.backtests.get(999999999)
