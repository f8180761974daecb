"""Strategy deployments through the client, against the real server (its engine runs them)."""

from decimal import Decimal

import pytest
from trading_client.errors import (
    DeploymentNotFoundError,
    InvalidDeploymentStateError,
    StrategyNotFoundError,
    ValidationError,
)
from trading_client.models import Deployment


@pytest.fixture
def client(server):
    return server.client("deploy")


def test_a_deployment_starts_pauses_resumes_and_stops(server, client):
    started = client.deployments.start(
        "sma_crossover", "AAPL", capital=Decimal("10000"), interval="1m",
        parameters={"fast": 5, "slow": 20}, stop_loss_pct="2",
    )  # fmt: skip

    assert isinstance(started, Deployment)
    assert (started.strategy, started.symbol, started.interval) == ("sma_crossover", "AAPL", "1m")
    assert started.status == "running"
    assert started.account == server.keys["deploy"]["account"]
    assert (started.capital, started.stop_loss_pct) == (Decimal("10000"), Decimal("2"))
    assert started.parameters["fast"] == 5
    assert started.position == Decimal(0)
    assert started.signals == []
    assert started.client_order_id_prefix == f"dep{started.id}-"

    paused = client.deployments.pause(started.id, "lunch")
    assert (paused.status, paused.status_reason) == ("paused", "lunch")
    with pytest.raises(InvalidDeploymentStateError):
        client.deployments.pause(started.id)
    assert client.deployments.resume(started.id).status == "running"
    assert client.deployments.get(started.id).status == "running"
    listed = client.deployments.list(strategy="sma_crossover", status="running")
    assert started.id in [d.id for d in listed]
    stopped = client.deployments.stop(started.id, "done")
    assert stopped.stopped
    assert stopped.stopped_at is not None
    with pytest.raises(InvalidDeploymentStateError):
        client.deployments.resume(started.id)
    assert started.id not in [d.id for d in client.deployments.list(status="running")]


def test_one_call_starts_a_deployment_per_symbol(client):
    started = client.deployments.start_many(
        "buy_and_hold", ["MSFT", "SPY"], capital="5000", interval="1h"
    )

    assert [d.symbol for d in started] == ["MSFT", "SPY"]
    assert len({d.id for d in started}) == 2
    for deployment in started:
        assert client.deployments.stop(deployment.id).status == "stopped"


def test_refusals_are_typed(client):
    with pytest.raises(StrategyNotFoundError):
        client.deployments.start("nope", "AAPL", capital="1000")
    with pytest.raises(ValidationError) as refused:
        client.deployments.start("sma_crossover", "AAPL", capital="0")
    assert "capital" in refused.value.fields
    with pytest.raises(DeploymentNotFoundError):
        client.deployments.get(999999999)
