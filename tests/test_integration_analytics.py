"""Round trips through the embedded process: a bought and sold position becomes one trade."""

import uuid
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from tests.harness import wait_until
from tests.test_integration_orders import _ok, _trade_client

D = Decimal
pytestmark = pytest.mark.integration


def _market(client, side: str, quantity: str, **extra) -> dict:
    body = {"symbol": "SPY", "side": side, "order_type": "market", "quantity": quantity, **extra}
    return _ok(
        client.post("/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}), 201
    )


def _filled(client, order_id: int) -> dict:
    wait_until(
        lambda: _ok(client.get(f"/orders/{order_id}"))["status"] == "filled",
        timeout=20,
        what=f"order {order_id} filled",
    )
    return _ok(client.get(f"/orders/{order_id}"))


def test_a_round_trip_is_listed_with_fees_pnl_r_and_the_signal_outcome(embedded_stack):
    client = _trade_client(embedded_stack)
    wait_until(lambda: client.get("/quotes/SPY").status_code == 200, timeout=30, what="SPY quote")
    held = {p["symbol"]: p for p in _ok(client.get("/positions"))["results"]}.get("SPY")
    if held is not None:
        # Start flat, so the next fill opens a trade of its own.
        _filled(client, _ok(client.delete("/positions/SPY"), 201)["id"])
    tick = D(_ok(client.get("/instruments/SPY"))["tick_size"])
    stop = (D(_ok(client.get("/quotes/SPY"))["bid"]) * D("0.97")).quantize(tick)

    buy = _filled(client, _market(client, "buy", "2", stop_loss=str(stop))["id"])
    signal = _ok(
        client.post(
            "/signals",
            json={
                "strategy": "it",
                "symbol": "SPY",
                "direction": "long",
                "decision": "taken",
                "order": buy["id"],
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ),
        201,
    )
    sell = _filled(client, _market(client, "sell", "2")["id"])

    trade = _ok(client.get("/trades?symbol=SPY&limit=1"))["results"][0]
    entry, exit_ = D(buy["average_fill_price"]), D(sell["average_fill_price"])
    fees = sum((D(f["fee"]) for f in buy["fills"] + sell["fills"]), D(0))
    pnl = (exit_ - entry) * 2 - fees
    r = (pnl / (abs(entry - stop) * 2)).quantize(D("1e-10"), rounding=ROUND_HALF_EVEN)
    assert (D(trade["entry_price"]), D(trade["exit_price"]), D(trade["fees"])) == (
        entry,
        exit_,
        fees,
    )
    assert (trade["side"], trade["quantity"], D(trade["pnl"]), D(trade["r_multiple"])) == (
        "buy",
        "2",
        pnl,
        r,
    )
    assert trade["closed_at"] is not None
    listed = _ok(client.get("/signals?strategy=it"))["results"]
    assert [(s["id"], D(s["outcome_r"])) for s in listed] == [(signal["id"], r)]
    assert _ok(client.get("/performance?days=3650"))["trades"] >= 1
