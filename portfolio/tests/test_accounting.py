"""Average-cost accounting: hand-computed cases and properties over random fill sequences."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio.accounting import PositionState, position_after_fill


def _apply(fills):
    state = PositionState()
    for quantity, price in fills:
        state, _ = position_after_fill(state, signed_quantity=D(quantity), price=D(price))
    return state


def test_adding_adds_the_cost_and_averages_the_entry_price():
    state = _apply([("10", "100"), ("30", "104")])
    assert state == PositionState(D("40"), D("4120"), D("0"))
    assert state.average_price == D("103")


def test_reducing_realizes_on_the_closed_quantity_only():
    state = _apply([("10", "100"), ("-4", "110")])
    assert state == PositionState(D("6"), D("600"), D("40"))
    assert state.average_price == D("100")


def test_short_positions_gain_when_price_falls():
    state = _apply([("-5", "50"), ("2", "45")])
    assert state == PositionState(D("-3"), D("150"), D("10"))
    assert state.average_price == D("50")


def test_a_flip_closes_the_whole_position_and_opens_the_rest_at_the_fill_price():
    state, realized = position_after_fill(
        PositionState(D("3"), D("60"), D("1")), signed_quantity=D("-5"), price=D("22")
    )
    assert realized == D("6")
    assert state == PositionState(D("-2"), D("44"), D("7"))
    assert state.average_price == D("22")


def test_closing_to_flat_releases_all_the_cost():
    assert _apply([("2", "10"), ("-2", "12")]) == PositionState(D("0"), D("0"), D("4"))


def test_a_round_trip_realizes_exactly_the_cash_it_produced():
    # Thirds of 1 at 1.2345678901 do not divide evenly: the average is rounded, the cost is not.
    fills = [("3", "1.2345678901"), ("-1", "1.5"), ("-1", "1.1"), ("-1", "1.3")]
    state = _apply(fills)
    cash = sum(-D(quantity) * D(price) for quantity, price in fills)
    assert state.quantity == 0
    assert state.realized_pnl == cash


def test_average_price_rounds_half_even_at_ten_places():
    state = _apply([("1", "1"), ("2", "2")])
    assert state.average_price == D("1.6666666667")


def test_zero_quantity_is_not_a_fill():
    with pytest.raises(ValueError, match="non-zero"):
        position_after_fill(PositionState(), signed_quantity=D("0"), price=D("1"))


quantities = st.decimals(min_value=D("-1000"), max_value=D("1000"), places=3).filter(
    lambda q: q != 0
)
prices = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(quantities, prices), min_size=1, max_size=40), prices)
def test_position_is_the_signed_sum_and_pnl_matches_cash_flows(fills, mark):
    # given any sequence of fills
    state = PositionState()
    cash = D(0)
    for quantity, price in fills:
        state, _ = position_after_fill(state, signed_quantity=quantity, price=price)
        cash -= quantity * price
    # then the position is the signed sum of the fills
    assert state.quantity == sum(q for q, _ in fills)
    # and realized + unrealized equals cash flows marked to market: exactly once flat, else up
    # to the rounding of the pro-rata cost share released by each partial close
    total_pnl = state.realized_pnl + state.unrealized_pnl(market_price=mark)
    marked = cash + state.quantity * mark
    if state.quantity == 0:
        assert state.realized_pnl == cash
    assert abs(total_pnl - marked) <= D("1e-10") * len(fills)
