"""Trades, performance and signals over the API: hand-computed figures, filters, BOLA."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from access.tests.factories import MembershipFactory, UserFactory
from access.tests.helpers import key_make, simple_client
from analytics.models import Signal
from analytics.tests.helpers import order_make, round_trip
from portfolio.models import EquitySnapshot

D = Decimal
DAY = datetime(2026, 1, 1, 16, 0, tzinfo=UTC)
PERIOD = "from=2026-01-01T00:00:00Z&to=2026-01-10T00:00:00Z"
pytestmark = pytest.mark.django_db


@pytest.fixture
def client(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=("read", "trade"))
    return simple_client(api_key, secret)


@pytest.fixture
def other_client(other_account):
    user = UserFactory(username="olga", roles=["trader"])
    MembershipFactory(user=user, account=other_account, is_default=True)
    api_key, secret = key_make(user=user, account=other_account, scopes=("read", "trade"))
    return simple_client(api_key, secret)


@pytest.fixture
def four_trades(account, aapl):
    """PnL +100, -50, +200, -100 on four days, each risking 5 x 10 = 50 (R 2, -1, 4, -2)."""
    for day, exit_price in enumerate(("110", "95", "120", "90")):
        opened = DAY + timedelta(days=day)
        round_trip(
            account,
            entry="100",
            exit=exit_price,
            stop="95",
            opened=opened,
            closed=opened + timedelta(hours=2),
        )


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_performance_matches_hand_computed_figures(client, four_trades):
    response = client.get(f"/api/v1/performance?{PERIOD}")

    assert response.status_code == 200
    body = response.json()
    curves = body.pop("equity_curve"), body.pop("drawdown_curve")
    assert body == {
        "from": "2026-01-01T00:00:00Z",
        "to": "2026-01-10T00:00:00Z",
        "trades": 4,
        "wins": 2,
        "losses": 2,
        "win_rate": "50",
        "total_pnl": "150",
        "gross_pnl": "150",
        "fees": "0",
        "total_r": "3",
        "avg_r": "0.75",
        # 300 won / 150 lost; 150 / 4 trades.
        "profit_factor": "2",
        "expectancy": "37.5",
        "avg_win": "150",
        "avg_loss": "-75",
        # Daily PnL 100, -50, 200, -100: mean 37.5 / sample sd 137.689... x sqrt(252).
        "sharpe": "4.3234601527",
        # Downside deviation sqrt((50^2 + 100^2) / 4) = 55.9017...
        "sortino": "10.6489436096",
        # Equity 100000 -> 100100, 100050, 100250, 100150: worst 100 below the 100250 peak.
        "max_drawdown_pct": "0.0997506234",
        "notes": [],
    }
    assert [point["equity"] for point in curves[0]] == ["100100", "100050", "100250", "100150"]
    assert [point["drawdown_pct"] for point in curves[1]] == [
        "0",
        "0.04995005",
        "0",
        "0.0997506234",
    ]
    assert curves[0][0]["timestamp"] == "2026-01-01T18:00:00Z"


def test_performance_of_a_shorter_period_counts_only_its_trades(client, four_trades):
    response = client.get("/api/v1/performance?from=2026-01-03T00:00:00Z&to=2026-01-05T00:00:00Z")

    body = response.json()
    # Daily PnL 200, -100: mean 50 / sample sd 212.132... x sqrt(252).
    assert (body["trades"], body["total_pnl"], body["profit_factor"], body["sharpe"]) == (
        2,
        "100",
        "2",
        "3.7416573868",
    )
    # Equity before the period: 100050; then 100250 and 100150.
    assert [point["equity"] for point in body["equity_curve"]] == ["100250", "100150"]
    assert body["max_drawdown_pct"] == "0.0997506234"


def test_performance_uses_equity_snapshots_when_the_period_has_them(client, account, four_trades):
    for day, (equity, drawdown) in enumerate(
        [("100000", "0"), ("102000", "0"), ("99960", "2"), ("101959.2", "0.04")]
    ):
        for minute, offset in ((0, D("-5")), (30, D(0))):
            EquitySnapshot.objects.create(
                account=account,
                timestamp=DAY + timedelta(days=day, minutes=minute),
                equity=D(equity) + offset,
                cash=D(equity) + offset,
                positions_value=0,
                peak_equity=D("102000"),
                drawdown_pct=D(drawdown),
            )

    body = client.get(f"/api/v1/performance?{PERIOD}").json()

    # Daily closes 100000, 102000, 99960, 101959.2: returns 0.02, -0.02, 0.02.
    assert [point["equity"] for point in body["equity_curve"]] == [
        "100000",
        "102000",
        "99960",
        "101959.2",
    ]
    assert [point["drawdown_pct"] for point in body["drawdown_curve"]] == ["0", "0", "2", "0.04"]
    assert body["max_drawdown_pct"] == "2"
    # mean 0.02/3, sample sd 0.0230940...: 0.2886751346 x sqrt(252); downside sqrt(0.0004/3).
    assert (body["sharpe"], body["sortino"]) == ("4.582575695", "9.1651513899")
    assert body["trades"] == 4


def test_performance_with_nothing_in_the_period(client, account):
    body = client.get("/api/v1/performance?days=30").json()
    assert {name: body[name] for name in ("trades", "win_rate", "total_pnl", "sharpe")} == {
        "trades": 0,
        "win_rate": None,
        "total_pnl": "0",
        "sharpe": None,
    }
    assert (body["equity_curve"], body["max_drawdown_pct"]) == ([], "0")


def test_performance_refuses_a_reversed_period(client, account):
    response = client.get("/api/v1/performance?from=2026-01-05T00:00:00Z&to=2026-01-01T00:00:00Z")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_PERIOD"
    assert response.json()["error"]["details"] == {"from": ["Must be before to."]}


def test_trades_list_filters_and_paginates(client, four_trades):
    response = client.get("/api/v1/trades?from=2026-01-02T00:00:00Z&limit=2&symbol=aapl")

    assert response.status_code == 200
    body = response.json()
    assert [(t["pnl"], t["r_multiple"]) for t in body["results"]] == [("-100", "-2"), ("200", "4")]
    assert body["results"][0] == {
        **body["results"][0],
        "symbol": "AAPL",
        "side": "buy",
        "quantity": "10",
        "entry_price": "100",
        "exit_price": "90",
        "fees": "0",
        "pnl_pct": "-10",
        "initial_stop": "95",
        "closed_at": "2026-01-04T18:00:00Z",
    }
    rest = client.get(body["next"]).json()
    assert [t["pnl"] for t in rest["results"]] == ["-50"]
    assert rest["next"] is None


def test_trades_and_performance_of_another_account_are_invisible(
    client, other_client, other_account, account, four_trades
):
    assert other_client.get("/api/v1/trades").json()["results"] == []
    assert other_client.get(f"/api/v1/performance?{PERIOD}").json()["trades"] == 0
    for path in ("trades", "performance", "signals"):
        response = other_client.get(f"/api/v1/{path}?account={account.pk}")
        assert response.status_code == 404
    assert client.get(f"/api/v1/trades?account={other_account.pk}").status_code == 404


def test_post_and_list_signals(client, account, aapl, msft):
    order = order_make(account, side="buy", quantity="1")
    response = post(
        client,
        "/api/v1/signals",
        {
            "strategy": "trend",
            "symbol": "aapl",
            "direction": "LONG",
            "strength": "0.75",
            "decision": "taken",
            "order": order.pk,
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert {k: v for k, v in created.items() if k not in ("id", "created_at")} == {
        "strategy": "trend",
        "symbol": "AAPL",
        "direction": "long",
        "strength": "0.75",
        "decision": "taken",
        "reason": "",
        "order": order.pk,
        "outcome_r": None,
    }
    post(
        client,
        "/api/v1/signals",
        {"strategy": "mean", "symbol": "MSFT", "direction": "short", "decision": "skipped"},
    )

    listed = client.get("/api/v1/signals?strategy=trend&symbol=aapl").json()["results"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert len(client.get("/api/v1/signals").json()["results"]) == 2
    assert client.get("/api/v1/signals?from=2999-01-01T00:00:00Z").json()["results"] == []


def test_a_signal_cannot_point_at_another_account_order(client, other_account, aapl):
    foreign = order_make(other_account, side="buy", quantity="1")
    response = post(
        client,
        "/api/v1/signals",
        {
            "strategy": "trend",
            "symbol": "AAPL",
            "direction": "long",
            "decision": "taken",
            "order": foreign.pk,
        },
    )
    assert response.status_code == 404
    assert Signal.objects.count() == 0


def test_posting_a_signal_needs_the_trade_scope(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=("read",))
    reader = simple_client(api_key, secret)
    response = post(
        reader,
        "/api/v1/signals",
        {"strategy": "trend", "symbol": "AAPL", "direction": "long", "decision": "skipped"},
    )
    assert response.status_code == 403
    assert Signal.objects.count() == 0


def test_an_invalid_signal_names_the_field(client, account):
    response = post(
        client,
        "/api/v1/signals",
        {"strategy": "trend", "symbol": "AAPL", "direction": "up", "decision": "taken"},
    )
    assert response.status_code == 400
    assert "direction" in response.json()["error"]["details"]["fields"]
    assert Signal.objects.count() == 0


def test_an_empty_history_is_explained_not_silently_null(client):
    body = client.get(f"/api/v1/performance?{PERIOD}").json()

    assert (body["trades"], body["win_rate"], body["sharpe"], body["total_pnl"]) == (
        0, None, None, "0",
    )  # fmt: skip
    assert body["notes"] == [
        "No trade closed in the period: win_rate, expectancy, avg_win, avg_loss, avg_r and "
        "profit_factor are null until one does.",
        "Sharpe and Sortino need daily returns of at least 2 days; the period has 0. Equity "
        "snapshots are taken every EQUITY_SNAPSHOT_INTERVAL_S seconds while the engine runs, or "
        "trades close on more days.",
        "The equity curve has 0 point(s): one per UTC day with an equity snapshot (or per closed "
        "trade without snapshots).",
    ]
