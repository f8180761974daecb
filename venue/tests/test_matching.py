"""Matching core: every order type and time in force against hand-made quotes, exact decimals."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

import pytest

from venue.matching import (
    Accept,
    Cancel,
    Expire,
    Fill,
    InstrumentTerms,
    MatchingEngine,
    Trigger,
    VenueOrder,
    exec_id_for,
    session_close_after,
)

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TERMS = InstrumentTerms(
    symbol="AAPL",
    tick_size=D("0.01"),
    lot_size=D("1"),
    currency="USD",
    maker_fee_rate=D("0.0002"),
    taker_fee_rate=D("0.0005"),
)


@dataclass(frozen=True)
class Q:
    bid: D
    ask: D
    bid_size: D = D("100")
    ask_size: D = D("100")
    symbol: str = "AAPL"
    timestamp: datetime = T0


def quote(bid: str, ask: str, bid_size: str = "100", ask_size: str = "100", **kwargs) -> Q:
    return Q(D(bid), D(ask), D(bid_size), D(ask_size), **kwargs)


def engine(slippage_bps: str = "0") -> MatchingEngine:
    venue = MatchingEngine(slippage_bps=D(slippage_bps), session_close=time(21, 0))
    venue.set_terms(TERMS)
    return venue


_ids = iter(range(1, 1_000_000))


def order(
    side: str = "buy",
    order_type: str = "market",
    tif: str = "gtc",
    quantity: str = "10",
    **kwargs,
) -> VenueOrder:
    for name in ("limit_price", "stop_price", "filled_quantity"):
        if name in kwargs:
            kwargs[name] = D(kwargs[name])
    return VenueOrder(
        order_id=kwargs.pop("order_id", next(_ids)),
        symbol="AAPL",
        side=side,
        order_type=order_type,
        time_in_force=tif,
        quantity=D(quantity),
        created_at=kwargs.pop("created_at", T0),
        **kwargs,
    )


def fills(actions) -> list[tuple[D, D, D, str]]:
    return [(a.quantity, a.price, a.fee, a.liquidity) for a in actions if isinstance(a, Fill)]


def test_market_buy_fills_at_ask_with_taker_fee():
    venue = engine()
    o = order(quantity="10")
    assert venue.add(o) == [Accept(o.order_id)]
    actions = venue.match(quote("99.98", "100.02"))
    # 10 x 100.02 = 1000.20; x 0.0005 = 0.5001 -> 0.50
    assert actions == [
        Fill(
            order_id=o.order_id,
            order_version=0,
            venue_exec_id=f"pv-{o.order_id}-0",
            quantity=D("10"),
            price=D("100.02"),
            fee=D("0.50"),
            fee_currency="USD",
            liquidity="taker",
            executed_at=T0,
        )
    ]
    assert o.order_id not in venue


def test_market_sell_fills_at_bid_with_slippage_rounded_against_the_trader():
    venue = engine(slippage_bps="10")
    buy, sell = order(side="buy", quantity="1"), order(side="sell", quantity="1")
    venue.add(buy)
    venue.add(sell)
    actions = venue.match(quote("99.98", "100.02"))
    # buy: 100.02 x 1.001 = 100.12002 -> ceil 100.13; sell: 99.98 x 0.999 = 99.88002 -> floor 99.88
    assert fills(actions) == [
        (D("1"), D("100.13"), D("0.05"), "taker"),
        (D("1"), D("99.88"), D("0.05"), "taker"),
    ]


def test_market_order_partially_fills_against_displayed_size_and_finishes_later():
    venue = engine()
    o = order(quantity="150")
    venue.add(o)
    first = venue.match(quote("99.98", "100.02", ask_size="100"))
    second = venue.match(quote("99.99", "100.03", ask_size="80"))
    assert [(a.venue_exec_id, a.quantity, a.price) for a in first + second] == [
        (f"pv-{o.order_id}-0", D("100"), D("100.02")),
        (f"pv-{o.order_id}-100", D("50"), D("100.03")),
    ]
    assert o.order_id not in venue


def test_displayed_size_is_shared_by_orders_in_time_priority():
    venue = engine()
    a, b = order(quantity="60"), order(quantity="60")
    venue.add(a)
    venue.add(b)
    actions = venue.match(quote("99.98", "100.02", ask_size="100"))
    assert [(x.order_id, x.quantity) for x in actions] == [
        (a.order_id, D("60")),
        (b.order_id, D("40")),
    ]
    assert venue.orders[b.order_id].remaining == D("20")


def test_displayed_size_is_floored_to_the_lot():
    venue = MatchingEngine()
    venue.set_terms(
        InstrumentTerms(symbol="EURUSD", tick_size=D("0.00001"), lot_size=D("1000"), currency="USD")
    )
    o = VenueOrder(
        order_id=1,
        symbol="EURUSD",
        side="buy",
        order_type="market",
        time_in_force="gtc",
        quantity=D("5000"),
    )
    venue.add(o)
    q = Q(D("1.08000"), D("1.08002"), D("9999"), D("2500"), symbol="EURUSD")
    assert [(a.quantity, a.price, a.fee) for a in venue.match(q)] == [
        (D("2000"), D("1.08002"), D("0.00"))
    ]


def test_resting_buy_limit_waits_then_fills_as_maker_at_the_ask():
    venue = engine()
    o = order(order_type="limit", limit_price="100.00", quantity="10")
    assert venue.add(o) == [Accept(o.order_id)]
    assert venue.match(quote("100.00", "100.05")) == []
    actions = venue.match(quote("99.97", "99.99"))
    # at the limit or better: 99.99; maker 10 x 99.99 x 0.0002 = 0.19998 -> 0.20
    assert fills(actions) == [(D("10"), D("99.99"), D("0.20"), "maker")]


def test_marketable_limit_on_arrival_is_a_taker():
    venue = engine()
    o = order(side="sell", order_type="limit", limit_price="99.00", quantity="10")
    venue.add(o)
    assert fills(venue.match(quote("99.50", "99.52"))) == [
        (D("10"), D("99.50"), D("0.50"), "taker")
    ]


def test_limit_book_fills_best_price_first_and_stops_at_the_first_non_crossing():
    venue = engine()
    low = order(order_type="limit", limit_price="99.00", quantity="5")
    high = order(order_type="limit", limit_price="101.00", quantity="5")
    mid = order(order_type="limit", limit_price="100.00", quantity="5")
    for o in (low, high, mid):
        venue.add(o)
    actions = venue.match(quote("99.40", "99.50"))
    assert [(a.order_id, a.price) for a in actions] == [
        (high.order_id, D("99.50")),
        (mid.order_id, D("99.50")),
    ]
    assert list(venue.orders) == [low.order_id]


def test_sell_limit_partial_fill_keeps_the_rest_resting():
    venue = engine()
    o = order(side="sell", order_type="limit", limit_price="100.00", quantity="30")
    venue.add(o)
    venue.match(quote("99.00", "99.10"))
    actions = venue.match(quote("100.01", "100.03", bid_size="12"))
    assert fills(actions) == [(D("12"), D("100.01"), D("0.24"), "maker")]
    assert venue.orders[o.order_id].filled_quantity == D("12")
    assert venue.match(quote("100.00", "100.02", bid_size="100"))[0].venue_exec_id == (
        f"pv-{o.order_id}-12"
    )


def test_buy_stop_triggers_when_ask_reaches_stop_and_fills_as_market():
    venue = engine()
    o = order(order_type="stop", stop_price="101.00", quantity="3")
    venue.add(o)
    assert venue.match(quote("100.90", "100.99")) == []
    actions = venue.match(quote("100.98", "101.00"))
    assert actions[0] == Trigger(o.order_id, T0)
    assert fills(actions[1:]) == [(D("3"), D("101.00"), D("0.15"), "taker")]


def test_sell_stop_triggers_when_bid_falls_to_stop():
    venue = engine()
    o = order(side="sell", order_type="stop", stop_price="95.00", quantity="2")
    venue.add(o)
    assert venue.match(quote("95.01", "95.03")) == []
    actions = venue.match(quote("94.90", "94.92"))
    assert actions[0] == Trigger(o.order_id, T0)
    assert fills(actions[1:]) == [(D("2"), D("94.90"), D("0.09"), "taker")]


def test_stop_limit_becomes_a_limit_that_rests_when_not_marketable():
    venue = engine()
    o = order(order_type="stop_limit", stop_price="101.00", limit_price="101.05", quantity="4")
    venue.add(o)
    actions = venue.match(quote("101.05", "101.10"))
    assert actions == [Trigger(o.order_id, T0)]
    assert venue.orders[o.order_id].is_triggered
    # Rested through a quote: a maker now.
    assert fills(venue.match(quote("101.00", "101.04"))) == [
        (D("4"), D("101.04"), D("0.08"), "maker")
    ]


def test_ioc_fills_what_it_can_and_cancels_the_rest():
    venue = engine()
    o = order(order_type="limit", tif="ioc", limit_price="100.05", quantity="50")
    assert venue.add(o) == []
    actions = venue.match(quote("100.00", "100.04", ask_size="20"))
    assert fills(actions) == [(D("20"), D("100.04"), D("1.00"), "taker")]
    assert actions[1] == Cancel(o.order_id, "ioc_remainder")
    assert len(venue) == 0


def test_ioc_limit_that_does_not_cross_is_canceled_without_fills():
    venue = engine()
    o = order(order_type="limit", tif="ioc", limit_price="99.00", quantity="5")
    venue.add(o)
    assert venue.match(quote("100.00", "100.04")) == [Cancel(o.order_id, "ioc_remainder")]


def test_fok_fills_everything_at_once():
    venue = engine()
    o = order(tif="fok", quantity="100")
    venue.add(o)
    assert fills(venue.match(quote("100.00", "100.02", ask_size="100"))) == [
        (D("100"), D("100.02"), D("5.00"), "taker")
    ]


def test_fok_that_cannot_fill_entirely_fills_nothing():
    venue = engine()
    o = order(side="sell", tif="fok", quantity="101")
    venue.add(o)
    assert venue.match(quote("100.00", "100.02", bid_size="100")) == [
        Cancel(o.order_id, "fok_not_filled")
    ]
    assert len(venue) == 0


def test_fok_limit_beyond_the_market_is_canceled():
    venue = engine()
    o = order(order_type="limit", tif="fok", limit_price="99.00", quantity="1")
    venue.add(o)
    assert venue.match(quote("100.00", "100.02")) == [Cancel(o.order_id, "fok_not_filled")]


def test_stop_with_ioc_waits_for_trigger_then_fills_or_cancels():
    venue = engine()
    o = order(order_type="stop", tif="ioc", stop_price="101.00", quantity="30")
    venue.add(o)
    assert venue.match(quote("100.00", "100.02")) == []
    actions = venue.match(quote("101.00", "101.02", ask_size="10"))
    assert actions[0] == Trigger(o.order_id, T0)
    assert fills(actions) == [(D("10"), D("101.02"), D("0.51"), "taker")]
    assert actions[-1] == Cancel(o.order_id, "ioc_remainder")


def test_day_order_expires_at_session_close_and_gtd_at_expire_at():
    venue = engine()
    day = order(order_type="limit", tif="day", limit_price="90", created_at=T0)
    late = order(order_type="limit", tif="day", limit_price="90", created_at=T0.replace(hour=22))
    gtd = order(
        order_type="limit", tif="gtd", limit_price="90", expire_at=T0 + timedelta(minutes=30)
    )
    gtc = order(order_type="limit", tif="gtc", limit_price="90")
    for o in (day, late, gtd, gtc):
        venue.add(o)
    assert venue.expire_due(now=T0 + timedelta(minutes=29)) == []
    assert venue.expire_due(now=T0 + timedelta(minutes=30)) == [Expire(gtd.order_id)]
    assert venue.expire_due(now=T0.replace(hour=21)) == [Expire(day.order_id)]
    assert venue.expire_due(now=T0.replace(hour=21) + timedelta(days=1)) == [Expire(late.order_id)]
    assert list(venue.orders) == [gtc.order_id]


def test_session_close_after():
    close = time(21, 0)
    assert session_close_after(T0, close=close) == T0.replace(hour=21)
    assert session_close_after(T0.replace(hour=21), close=close) == datetime(
        2026, 3, 3, 21, 0, tzinfo=UTC
    )


def test_removed_order_no_longer_matches_and_modify_replaces():
    venue = engine()
    o = order(order_type="limit", limit_price="100.00", quantity="10")
    venue.add(o)
    assert venue.remove(o.order_id) is o
    assert venue.match(quote("99.00", "99.01")) == []
    modified = order(
        order_id=o.order_id,
        order_type="limit",
        limit_price="98.00",
        quantity="10",
        is_accepted=True,
    )
    assert venue.add(modified) == []
    assert venue.match(quote("98.50", "98.60")) == []
    assert fills(venue.match(quote("97.90", "98.00"))) == [
        (D("10"), D("98.00"), D("0.20"), "maker")
    ]


def test_reloaded_partially_filled_order_continues_with_the_next_exec_id():
    venue = engine()
    o = order(quantity="10", filled_quantity="4", is_accepted=True)
    assert venue.add(o) == []
    actions = venue.match(quote("100.00", "100.02"))
    assert [(a.venue_exec_id, a.quantity) for a in actions] == [
        (exec_id_for(order_id=o.order_id, filled_before=D("4")), D("6"))
    ]


def test_exec_id_ignores_the_columns_trailing_zeros():
    assert exec_id_for(order_id=7, filled_before=D("100.0000000000")) == "pv-7-100"
    assert exec_id_for(order_id=7, filled_before=D("0.5000")) == "pv-7-0.5"


def test_unknown_symbol_is_refused():
    with pytest.raises(KeyError):
        MatchingEngine().add(order())


def test_many_cancels_compact_without_losing_live_orders():
    venue = engine()
    keep = order(order_type="limit", limit_price="50.00", quantity="1")
    venue.add(keep)
    for _ in range(3000):
        o = order(order_type="limit", limit_price="60.00", quantity="1")
        venue.add(o)
        venue.remove(o.order_id)
    actions = venue.match(quote("49.00", "49.50"))
    assert [(a.order_id, a.price) for a in actions] == [(keep.order_id, D("49.50"))]
    assert venue.books["AAPL"].buy_limits == []
    assert len(venue) == 0


# Every order type x time in force: quote 1 does not reach the order, quote 2 does (in full).
_FIRST = {"market": ("99.98", "100.02"), "limit": ("100.08", "100.10")}
_SECOND = {"limit": ("99.88", "99.90"), "stop": ("101.03", "101.05")}
_PRICES = {
    "market": {},
    "limit": {"limit_price": "100.00"},
    "stop": {"stop_price": "101.00"},
    "stop_limit": {"stop_price": "101.00", "limit_price": "101.10"},
}


@pytest.mark.parametrize("tif", ["gtc", "day", "ioc", "fok", "gtd"])
@pytest.mark.parametrize("order_type", ["market", "limit", "stop", "stop_limit"])
def test_each_order_type_and_time_in_force(order_type, tif):
    venue = engine()
    extra = {"expire_at": T0 + timedelta(days=1)} if tif == "gtd" else {}
    o = order(order_type=order_type, tif=tif, quantity="10", **_PRICES[order_type], **extra)
    immediate = tif in ("ioc", "fok")
    assert venue.add(o) == ([] if immediate else [Accept(o.order_id)])
    first = venue.match(quote(*_FIRST.get(order_type, _FIRST["limit"])))
    second = venue.match(quote(*_SECOND.get(order_type.replace("_limit", ""), ("99.88", "99.90"))))
    if order_type == "market":
        assert fills(first) == [(D("10"), D("100.02"), D("0.50"), "taker")]
        assert second == []
    elif order_type == "limit" and immediate:
        reason = "ioc_remainder" if tif == "ioc" else "fok_not_filled"
        assert first == [Cancel(o.order_id, reason)]
        assert second == []
    elif order_type == "limit":
        assert first == []
        assert fills(second) == [(D("10"), D("99.90"), D("0.20"), "maker")]
    else:
        assert first == []
        assert second[0] == Trigger(o.order_id, T0)
        assert fills(second) == [(D("10"), D("101.05"), D("0.51"), "taker")]
        assert len(second) == 2
    assert len(venue) == 0


@pytest.mark.parametrize(
    ("tif", "expected_fill", "cancel_reason", "still_working"),
    [
        ("gtc", D("6"), None, True),
        ("day", D("6"), None, True),
        ("gtd", D("6"), None, True),
        ("ioc", D("6"), "ioc_remainder", False),
        ("fok", None, "fok_not_filled", False),
    ],
)
def test_market_order_larger_than_the_displayed_size(
    tif, expected_fill, cancel_reason, still_working
):
    venue = engine()
    extra = {"expire_at": T0 + timedelta(days=1)} if tif == "gtd" else {}
    o = order(tif=tif, quantity="10", **extra)
    venue.add(o)
    actions = venue.match(quote("99.98", "100.02", ask_size="6"))
    assert [a.quantity for a in actions if isinstance(a, Fill)] == (
        [expected_fill] if expected_fill else []
    )
    assert [a.reason for a in actions if isinstance(a, Cancel)] == (
        [cancel_reason] if cancel_reason else []
    )
    assert (o.order_id in venue) is still_working
