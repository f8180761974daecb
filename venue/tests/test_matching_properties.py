"""Matching invariants under random orders, quotes, removals and expiries (hypothesis)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from venue.matching import (
    Accept,
    Cancel,
    Expire,
    Fill,
    InstrumentTerms,
    MatchingEngine,
    Trigger,
    VenueOrder,
)

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TICK, LOT = D("0.01"), D("5")
TERMS = InstrumentTerms(
    symbol="X",
    tick_size=TICK,
    lot_size=LOT,
    currency="USD",
    maker_fee_rate=D("0.0002"),
    taker_fee_rate=D("0.0005"),
)


@dataclass(frozen=True)
class Q:
    bid: D
    ask: D
    bid_size: D
    ask_size: D
    symbol: str = "X"
    timestamp: datetime = T0


ticks = st.integers(min_value=9_000, max_value=11_000).map(lambda n: D(n) * TICK)
orders = st.builds(
    dict,
    side=st.sampled_from(["buy", "sell"]),
    order_type=st.sampled_from(["market", "limit", "stop", "stop_limit"]),
    tif=st.sampled_from(["gtc", "day", "ioc", "fok", "gtd"]),
    lots=st.integers(min_value=1, max_value=40),
    limit=ticks,
    stop=ticks,
    expire_minutes=st.integers(min_value=1, max_value=120),
)
quotes = st.builds(
    dict,
    mid=ticks,
    half_spread=st.integers(min_value=1, max_value=5),
    bid_size=st.integers(min_value=0, max_value=200),
    ask_size=st.integers(min_value=0, max_value=200),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("order"), orders),
        st.tuples(st.just("quote"), quotes),
        st.tuples(st.just("remove"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("time"), st.integers(min_value=1, max_value=60)),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(steps=steps)
def test_fills_respect_quantity_lot_tick_limit_and_displayed_size(steps):
    venue = MatchingEngine(slippage_bps=D("3"))
    venue.set_terms(TERMS)
    placed: dict[int, VenueOrder] = {}
    filled: dict[int, D] = {}
    closed: set[int] = set()
    exec_ids: set[str] = set()
    now = T0
    for kind, value in steps:
        if kind == "order":
            order_id = len(placed) + 1
            order = VenueOrder(
                order_id=order_id,
                symbol="X",
                side=value["side"],
                order_type=value["order_type"],
                time_in_force=value["tif"],
                quantity=value["lots"] * LOT,
                limit_price=value["limit"],
                stop_price=value["stop"],
                expire_at=now + timedelta(minutes=value["expire_minutes"]),
                created_at=now,
            )
            placed[order_id] = order
            filled[order_id] = D(0)
            actions = venue.add(order)
            assert actions == ([] if value["tif"] in ("ioc", "fok") else [Accept(order_id)])
            continue
        if kind == "remove":
            if value in placed:
                venue.remove(value)
                closed.add(value)
            continue
        if kind == "time":
            now += timedelta(minutes=value)
            for action in venue.expire_due(now=now):
                assert isinstance(action, Expire)
                expires = placed[action.order_id].expires_at
                assert expires is not None
                assert expires <= now
                closed.add(action.order_id)
            continue
        half = value["half_spread"] * TICK
        quote = Q(
            bid=value["mid"] - half,
            ask=value["mid"] + half,
            bid_size=D(value["bid_size"]),
            ask_size=D(value["ask_size"]),
            timestamp=now,
        )
        taken = {"buy": D(0), "sell": D(0)}
        for action in venue.match(quote):
            assert action.order_id not in closed
            order = placed[action.order_id]
            if isinstance(action, Trigger):
                assert order.order_type in ("stop", "stop_limit")
                if order.side == "buy":
                    assert quote.ask >= order.stop_price
                else:
                    assert quote.bid <= order.stop_price
            elif isinstance(action, Fill):
                assert action.venue_exec_id not in exec_ids
                exec_ids.add(action.venue_exec_id)
                assert action.venue_exec_id == f"pv-{order.order_id}-{filled[order.order_id]}"
                assert action.quantity > 0
                assert action.quantity % LOT == 0
                assert action.price % TICK == 0
                assert action.fee == (
                    action.quantity
                    * action.price
                    * (D("0.0002") if action.liquidity == "maker" else D("0.0005"))
                ).quantize(D("0.01"), rounding="ROUND_HALF_UP")
                if order.order_type in ("limit", "stop_limit"):
                    if order.side == "buy":
                        assert action.price <= order.limit_price
                    else:
                        assert action.price >= order.limit_price
                filled[order.order_id] += action.quantity
                taken[order.side] += action.quantity
                assert filled[order.order_id] <= order.quantity
                if order.time_in_force == "fok":
                    assert filled[order.order_id] == order.quantity
                if filled[order.order_id] == order.quantity:
                    closed.add(order.order_id)
            elif isinstance(action, Cancel):
                assert order.time_in_force in ("ioc", "fok")
                closed.add(order.order_id)
        assert taken["buy"] <= quote.ask_size
        assert taken["sell"] <= quote.bid_size
        # After its first quote, no IOC/FOK order is still working (stops wait for a trigger).
        for order_id in venue.orders:
            order = placed[order_id]
            if order.time_in_force in ("ioc", "fok"):
                assert order.order_type in ("stop", "stop_limit")
                assert not order.is_triggered
    assert set(venue.orders) == set(placed) - closed
