"""The engine: next-open fills, the venue's slippage and fees, all-in sizing, exact accounting."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from backtests.engine import Costs, simulate
from backtests.strategies import FLAT, LONG, SHORT, STRATEGIES, Strategy
from backtests.tests.helpers import bars_of, random_walk_rows
from marketdata.services import CandleRow

D = Decimal
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _costs(rate="0", bps="0", tick="0.01", lot="1", quantum="0.01") -> Costs:
    return Costs(
        commission_rate=D(rate),
        slippage_bps=D(bps),
        tick_size=D(tick),
        lot_size=D(lot),
        fee_quantum=D(quantum),
    )


class Script(Strategy):
    """Returns the targets it is given, bar by bar (a strategy written for a test)."""

    name = "script"
    title = "Script"
    description = "Plays a fixed list of targets."

    def __init__(self, targets: dict[int, int]):
        super().__init__()
        self.targets = targets

    @property
    def window(self) -> int:
        return 1

    def decide(self, i: int, values: Mapping[str, Sequence[float]], position: int) -> int | None:
        return self.targets.get(i)


def _bars(*opens_closes: tuple[str, str]):
    rows = [
        CandleRow(
            ts=T0 + timedelta(days=i),
            open=D(o),
            high=max(D(o), D(c)),
            low=min(D(o), D(c)),
            close=D(c),
            volume=D(1),
        )
        for i, (o, c) in enumerate(opens_closes)
    ]
    return bars_of(rows)


def test_a_decision_fills_at_the_next_bars_open():
    bars = _bars(("10", "11"), ("12", "13"), ("14", "15"), ("16", "17"))
    run = simulate(
        bars=bars, strategy=Script({0: LONG, 2: FLAT}), initial_capital=D(100), costs=_costs()
    )
    (trade,) = run.trades
    assert (trade.entry_bar, trade.entry_price, trade.quantity) == (1, D(12), D(8))
    assert (trade.exit_bar, trade.exit_price) == (3, D(16))
    assert trade.pnl() == D(32)
    # equity: cash until the fill, then cash + position x close
    assert run.equity == [D(100), D(4) + 8 * D(13), D(4) + 8 * D(15), D(132)]
    assert run.exposed_bars == 2


def test_a_decision_on_the_last_bar_never_fills():
    bars = _bars(("10", "11"), ("12", "13"))
    run = simulate(bars=bars, strategy=Script({1: LONG}), initial_capital=D(100), costs=_costs())
    assert run.trades == []
    assert run.open_trade is None
    assert run.decisions == [(1, LONG)]


def test_slippage_against_the_trader_rounded_to_the_tick_and_fee_half_up():
    # the venue's worked example (docs/venue.md): 10 bps on 100.02 -> 100.12002 -> 100.13 buy
    costs = _costs(rate="0.0005", bps="10")
    assert costs.buy_price(D("100.02")) == D("100.13")
    assert costs.sell_price(D("100.02")) == D("99.91")
    assert costs.fee(D("1000.20")) == D("0.50")
    assert costs.fee(D("1001")) == D("0.50")  # 0.5005 -> half up
    assert costs.fee(D("1010")) == D("0.51")  # 0.505 -> half up
    assert _costs(rate="0.0005", quantum="1E-8").fee(D("1000.20")) == D("0.50010000")


def test_all_in_sizing_leaves_room_for_the_fee():
    bars = _bars(("100", "100"), ("100", "100"), ("100", "100"))
    run = simulate(
        bars=bars, strategy=Script({0: LONG}), initial_capital=D(1000), costs=_costs(rate="0.001")
    )
    # 10 x 100 + 1.00 fee = 1001 > 1000; 9 x 100 + 0.90 = 900.90 fits
    assert run.open_trade.quantity == D(9)
    assert run.cash == D("99.10")


def test_an_entry_without_cash_for_one_lot_is_skipped():
    bars = _bars(("100", "100"), ("100", "100"))
    run = simulate(bars=bars, strategy=Script({0: LONG}), initial_capital=D(50), costs=_costs())
    assert run.open_trade is None
    assert run.skipped_entries == 1
    assert run.equity == [D(50), D(50)]


def test_a_reversal_closes_then_opens_and_shorts_account_exactly():
    bars = _bars(("10", "10"), ("10", "9"), ("8", "8"), ("6", "7"), ("7", "7"))
    run = simulate(
        bars=bars,
        strategy=Script({0: SHORT, 2: LONG}),
        initial_capital=D(100),
        costs=_costs(rate="0.01"),
    )
    (short,) = run.trades
    # short 9 at 10 (9 x 10 x 1.01 = 90.9 <= 100), covered at 6: +36 - 0.90 - 0.54
    assert (short.side, short.quantity, short.entry_price, short.exit_price) == (
        "short", D(9), D(10), D(6)
    )  # fmt: skip
    assert short.pnl() == D("34.56")
    long = run.open_trade
    assert (long.side, long.entry_bar, long.entry_price) == ("long", 3, D(6))
    # after the cover the cash is 134.56; all-in at 6 x 1.01: 22 shares
    assert long.quantity == D(22)
    assert run.equity[-1] == D("134.56") + long.pnl(D(7))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    name=st.sampled_from(sorted(STRATEGIES)),
    allow_short=st.booleans(),
    rate=st.sampled_from(["0", "0.0005", "0.002"]),
    bps=st.sampled_from(["0", "1", "25"]),
)
def test_accounting_is_exact_for_any_run(seed, name, allow_short, rate, bps):
    rows = random_walk_rows(400, seed=seed, start=T0, step=timedelta(hours=1))
    bars = bars_of(rows)
    parameters = {"allow_short": allow_short} if name != "buy_and_hold" else {}
    if name == "sma_crossover":
        parameters.update(fast=3, slow=8)
    run = simulate(
        bars=bars,
        strategy=STRATEGIES[name](**parameters),
        initial_capital=D(10000),
        costs=_costs(rate=rate, bps=bps),
    )
    last_close = bars.close[-1]
    open_pnl = run.open_trade.pnl(last_close) if run.open_trade else D(0)
    # final equity = initial + realized PnL of every trade + the open one, to the last digit
    assert run.equity[-1] == D(10000) + sum((t.pnl() for t in run.trades), D(0)) + open_pnl
    # equity is cash plus the position at the close
    assert run.equity[-1] == run.cash + run.position * last_close
    # every fill is on the tick and a whole number of lots; round trips alternate in time
    for trade in [*run.trades, *([run.open_trade] if run.open_trade else [])]:
        assert trade.entry_price % D("0.01") == 0
        assert trade.quantity > 0
        assert trade.quantity == trade.quantity.to_integral_value()
    for earlier, later in zip(run.trades, run.trades[1:], strict=False):
        assert earlier.exit_bar <= later.entry_bar
