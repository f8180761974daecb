"""Orders, fills and positions against the real server and its paper venue (HMAC-signed)."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from support import wait_until
from trading_client.errors import (
    DuplicateClientOrderIdError,
    InvalidOrderStateError,
    OrderNotFoundError,
    PermissionDeniedError,
    PositionNotFoundError,
    RiskRejectedError,
    ValidationError,
    VersionMismatchError,
)

CENT = Decimal("0.01")


@pytest.fixture
def client(server):
    return server.client("orders")


def _far_below(client, symbol: str) -> Decimal:
    """A buy limit that rests: 20% under the bid."""
    return (client.market.quote(symbol).bid * Decimal("0.8")).quantize(CENT)


def _status(client, order_id: int, *statuses: str):
    return wait_until(
        lambda: (order := client.orders.get(order_id)).status in statuses and order,
        timeout=20,
        what=f"order {order_id} to be {'/'.join(statuses)}",
    )


def test_a_resting_limit_order_is_placed_read_modified_and_canceled(client):
    # given
    price = _far_below(client, "AAPL")
    client_order_id = f"rest-{uuid.uuid4().hex[:12]}"
    # when: placed
    order = client.orders.submit(
        "AAPL",
        "buy",
        Decimal("3"),
        order_type="limit",
        limit_price=price,
        client_order_id=client_order_id,
        strategy="client-tests",
    )
    # then
    assert order.status in {"pending", "open"}
    assert (order.quantity, order.limit_price, order.symbol) == (Decimal(3), price, "AAPL")
    assert order.locked_amount > 3 * price
    opened = _status(client, order.id, "open")
    by_client_id = client.orders.get_by_client_id(client_order_id)
    assert by_client_id.id == order.id
    assert [e.type for e in by_client_id.events][:3] == ["created", "submitted", "accepted"]
    assert by_client_id.fills == []

    # when: modified at its version
    modified = client.orders.modify(order.id, limit_price=price - 1, version=opened.version)
    # then
    assert (modified.limit_price, modified.version) == (price - 1, opened.version + 1)
    with pytest.raises(VersionMismatchError) as stale:
        client.orders.modify(order.id, limit_price=price - 2, version=opened.version)
    assert (stale.value.version, stale.value.expected) == (opened.version + 1, opened.version)
    assert stale.value.status == 412

    # when: canceled (twice: a canceled order answers 200 again)
    canceled = client.orders.cancel(order.id)
    again = client.orders.cancel(order.id)
    # then
    assert canceled.status == again.status == "canceled"
    assert canceled.locked_amount == 0
    with pytest.raises(InvalidOrderStateError):
        client.orders.modify(order.id, quantity="4")


def test_list_filters_and_follows_pages(client):
    before = datetime.now(UTC) - timedelta(seconds=1)
    price = _far_below(client, "MSFT")
    placed = [
        client.orders.submit("MSFT", "buy", "1", order_type="limit", limit_price=price - n)
        for n in range(3)
    ]
    ids = {o.id for o in placed}

    pages = list(client.orders.list(symbol="MSFT", side="buy", start=before, limit=2).pages())
    listed = [o for p in pages for o in p.items]

    assert [len(p.items) for p in pages][:1] == [2]
    assert {o.id for o in listed} == ids
    assert [o.id for o in listed] == sorted((o.id for o in listed), reverse=True)
    assert not ({o.id for o in client.orders.list(side="sell", start=before)} & ids)
    assert not ({o.id for o in client.orders.list(symbol="MSFT", end=before)} & ids)

    results = client.orders.cancel_all(symbol="MSFT")
    assert {r.order_id for r in results} == ids
    assert all(r.ok and r.status_code == 200 and r.status == "canceled" for r in results)
    assert {o.id for o in client.orders.list(status="canceled", start=before)} >= ids
    assert client.orders.cancel_all(symbol="MSFT") == []


def test_preview_says_what_would_happen_and_places_nothing(client):
    before = {o.id for o in client.orders.list(limit=500).page()}

    ok = client.orders.preview("AAPL", "buy", "2", order_type="limit", limit_price="100.00")
    too_big = client.orders.preview("AAPL", "buy", "100000", order_type="limit", limit_price="100")

    assert ok.accepted
    assert ok.violations == []
    assert (ok.estimated_price, ok.notional) == (Decimal("100"), Decimal("200"))
    assert ok.locked_amount == ok.notional + ok.fee
    assert not too_big.accepted
    assert "buying_power" in {v.rule for v in too_big.violations}
    assert {o.id for o in client.orders.list(limit=500).page()} == before


def test_a_risk_rejection_names_every_violation_and_keeps_the_order(client):
    with pytest.raises(RiskRejectedError) as caught:
        client.orders.submit("AAPL", "buy", "100000", order_type="limit", limit_price="100")

    error = caught.value
    assert error.status == 422
    assert "buying_power" in {v.rule for v in error.violations}
    assert client.orders.get(error.order_id).status == "rejected"


def test_entry_errors_are_typed(server, client):
    with pytest.raises(ValidationError) as bad:
        client.orders.submit("AAPL", "buy", "1.5", order_type="limit", limit_price="100")
    assert "quantity" in bad.value.fields

    client_order_id = f"dup-{uuid.uuid4().hex[:12]}"
    client.orders.submit(
        "AAPL", "buy", "1", order_type="limit", limit_price="100", client_order_id=client_order_id
    )
    with pytest.raises(DuplicateClientOrderIdError):
        client.orders.submit(
            "AAPL",
            "buy",
            "1",
            order_type="limit",
            limit_price="99",
            client_order_id=client_order_id,
        )
    with pytest.raises(OrderNotFoundError):
        client.orders.get(10**9)
    with pytest.raises(OrderNotFoundError):
        client.orders.get_by_client_id("no such id ?&=+%")
    with pytest.raises(PermissionDeniedError):
        server.client("orders-read").orders.submit("AAPL", "buy", "1")
    client.orders.cancel_all()


def test_a_market_order_fills_and_moves_the_position_which_closes(client):
    order = client.orders.submit("AAPL", "buy", "2")
    filled = _status(client, order.id, "filled")

    fills = list(client.fills.list(order=order.id))
    assert sum(f.quantity for f in fills) == Decimal(2) == filled.filled_quantity
    assert all(f.symbol == "AAPL" and f.side == "buy" and f.fee > 0 for f in fills)
    assert all(f.executed_at.tzinfo is not None for f in fills)
    assert {f.id for f in client.fills.list(symbol="AAPL")} >= {f.id for f in fills}
    assert not list(client.fills.list(symbol="MSFT", order=order.id))

    position = client.portfolio.position("AAPL")
    assert (position.side, position.quantity) == ("long", Decimal(2))
    assert position.average_entry_price == filled.average_fill_price
    assert "AAPL" in {p.symbol for p in client.portfolio.positions()}

    closing = client.portfolio.close_position("AAPL")
    assert (closing.side, closing.order_type, closing.quantity) == ("sell", "market", Decimal(2))
    _status(client, closing.id, "filled")
    with pytest.raises(PositionNotFoundError):
        client.portfolio.position("AAPL")


def test_close_all_positions_answers_per_position(client):
    for symbol in ("MSFT", "SPY"):
        _status(client, client.orders.submit(symbol, "buy", "1").id, "filled")

    results = client.portfolio.close_all_positions()

    assert {r.symbol for r in results} == {"MSFT", "SPY"}
    assert all(r.ok and r.status_code == 201 and r.order_id for r in results)
    for result in results:
        _status(client, result.order_id, "filled")
    assert client.portfolio.positions() == []


def test_balances_and_portfolio_add_up(client):
    order = client.orders.submit(
        "AAPL", "buy", "1", order_type="limit", limit_price=_far_below(client, "AAPL")
    )
    _status(client, order.id, "open")
    try:
        (usd,) = client.portfolio.balances()
        assert usd.currency == "USD"
        assert usd.total == usd.available + usd.locked
        assert usd.locked >= client.orders.get(order.id).locked_amount > 0

        summary = client.portfolio.summary()
        assert summary.currency == "USD"
        assert summary.cash == usd.total
        assert summary.equity == summary.cash + summary.positions_value
        assert summary.total_pnl == summary.realized_pnl + summary.unrealized_pnl
        assert summary.dd_zone == "normal"
    finally:
        client.orders.cancel(order.id)


def test_the_equity_curve_has_the_engine_snapshots(client):
    # The engine snapshots an account after its fills (and every minute).
    _status(client, client.orders.submit("SPY", "buy", "1").id, "filled")
    curve = wait_until(client.portfolio.equity, timeout=20, what="an equity snapshot")
    hourly = client.portfolio.equity(interval="1h", start=datetime.now(UTC) - timedelta(days=1))

    assert all(isinstance(p.equity, Decimal) and p.timestamp.tzinfo for p in curve)
    assert [p.timestamp for p in curve] == sorted(p.timestamp for p in curve)
    assert 1 <= len(hourly) <= len(curve)
    client.portfolio.close_all_positions()
