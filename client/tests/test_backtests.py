"""Strategies, backtests and operations through the client, against the real server and its
in-process workers."""

from decimal import Decimal

import pytest
from support import wait_until
from trading_client.errors import ConflictError, NotFoundError, ValidationError


@pytest.fixture
def client(server):
    return server.client("cli-hmac")


def test_strategies_describe_their_parameters(client):
    strategies = {s.name: s for s in client.backtests.strategies()}
    assert "sma_crossover" in strategies
    one = client.backtests.strategy("sma_crossover")
    assert one.defaults == strategies["sma_crossover"].defaults
    assert "fast" in one.parameters_schema["properties"]
    with pytest.raises(NotFoundError):
        client.backtests.strategy("nope")


def test_a_backtest_runs_to_completion_with_figures(client):
    started = client.backtests.run(
        "sma_crossover", "AAPL", interval="1m", parameters={"fast": 5, "slow": 20},
        initial_capital=Decimal("10000"),
    )  # fmt: skip
    operation = wait_until(
        lambda: (op := client.backtests.operation(started.operation_id)).finished and op,
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
    assert started.operation_id in [o.id for o in client.backtests.operations(type="backtest")]
    with pytest.raises(ConflictError):
        client.backtests.cancel(started.operation_id)


def test_bad_parameters_are_a_validation_error(client):
    with pytest.raises(ValidationError):
        client.backtests.run("sma_crossover", "AAPL", parameters={"fast": 30, "slow": 10})
