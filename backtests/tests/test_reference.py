"""Our engine against backtesting.py (dev-only, AGPL) on its own GOOG data: SMA crossover 10/20.

Aligned settings: exclusive orders (a signal closes the position, then opens the other side),
a relative commission of 0.2 % on entry and exit, all-in sizing (backtesting.py's default order
size, the whole equity less the commission, in whole shares), no spread or slippage, fills at
the next bar's open, positions still open at the end marked to the last close (its
`finalize_trades=False`), long and short (our `allow_short`). One difference remains: the venue
rounds each fee to the cent, backtesting.py keeps float commissions; the exact comparison uses
a fee quantum of 1e-8 (exact here: prices have two places, sizes are whole).
"""

import json
import warnings
from decimal import Decimal

import pytest
from backtesting import Backtest
from backtesting import Strategy as ReferenceStrategy
from backtesting.lib import crossover
from backtesting.test import GOOG, SMA

from backtests.dataset import dataset_load
from backtests.engine import Costs, simulate
from backtests.strategies import STRATEGIES

D = Decimal
CENT = D("0.01")
pytestmark = pytest.mark.django_db


class SmaCross(ReferenceStrategy):
    n1 = 10
    n2 = 20

    def init(self):
        close = self.data.Close
        self.sma1 = self.I(SMA, close, self.n1)
        self.sma2 = self.I(SMA, close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


@pytest.fixture(scope="module")
def reference():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "some trades remain open": that is the setting
        return Backtest(GOOG, SmaCross, cash=10_000, commission=0.002, exclusive_orders=True).run()


def _their_trades(reference) -> list[tuple]:
    return [
        (
            int(row.EntryBar),
            int(row.ExitBar),
            D(repr(float(row.EntryPrice))),
            D(repr(float(row.ExitPrice))),
            D(int(row.Size)),
        )
        for row in reference._trades.itertuples()
    ]


def _our_trades(trades) -> list[tuple]:
    return [
        (t.entry_bar, t.exit_bar, t.entry_price, t.exit_price, t.sign * t.quantity) for t in trades
    ]


def test_the_trade_list_and_final_equity_equal_backtesting_py(goog, reference):
    # given: GOOG stored as candles, read back through the market-data selectors
    dataset = dataset_load(instrument=goog, interval="1d", start=None, end=None)
    assert len(dataset.bars) == len(GOOG) == 2148
    # when
    run = simulate(
        bars=dataset.bars,
        strategy=STRATEGIES["sma_crossover"](fast=10, slow=20, allow_short=True),
        initial_capital=D(10_000),
        costs=Costs(
            commission_rate=D("0.002"),
            slippage_bps=D(0),
            tick_size=CENT,
            lot_size=D(1),
            fee_quantum=D("1E-8"),
        ),
    )
    # then: every trade's entry and exit bar, prices and signed size
    theirs = _their_trades(reference)
    assert len(theirs) == 93
    assert _our_trades(run.trades) == theirs
    # and each trade's PnL net of commissions, and the equity at every bar, to the cent
    for ours, row in zip(run.trades, reference._trades.itertuples(), strict=True):
        assert ours.pnl().quantize(CENT) == D(repr(float(row.PnL))).quantize(CENT)
    their_equity = reference._equity_curve["Equity"].tolist()
    assert [e.quantize(CENT) for e in run.equity] == [
        D(repr(float(e))).quantize(CENT) for e in their_equity
    ]
    final = D(repr(float(reference["Equity Final [$]"])))
    assert run.equity[-1].quantize(CENT) == final.quantize(CENT) == D("56263.52")
    # the position still open at the end is the same one
    last = reference._strategy.position
    assert run.open_trade.sign * run.open_trade.quantity == D(last.size)


def test_through_the_api_with_the_venues_cent_rounding(
    client, goog, reference, django_capture_on_commit_callbacks
):
    # when: the same run as a user starts it (fees rounded to the cent, as the venue does)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/backtests",
            data=json.dumps(
                {
                    "strategy": "sma_crossover",
                    "symbol": "GOOG",
                    "interval": "1d",
                    "initial_capital": "10000",
                    "commission": "0.002",
                    "slippage_bps": "0",
                    "parameters": {"fast": 10, "slow": 20, "allow_short": True},
                }
            ),
            content_type="application/json",
        )
    assert response.status_code == 202
    body = client.get(response.headers["Location"]).json()
    # then: the same trades; the equity differs only by the rounding of 187 fees
    assert body["status"] == "completed"
    assert body["total_trades"] == 93
    ours = [
        (t["entry_bar"], t["exit_bar"], D(t["entry_price"]), D(t["exit_price"]),
         D(t["quantity"]) * (1 if t["side"] == "long" else -1))
        for t in body["trades"]
    ]  # fmt: skip
    assert ours == _their_trades(reference)
    fills = 2 * len(ours) + 1
    final = D(repr(float(reference["Equity Final [$]"])))
    assert abs(D(body["final_equity"]) - final) <= fills * D("0.005")
    assert body["final_equity"] == "56263.51"
