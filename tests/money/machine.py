"""A stateful property harness: random orders, quotes, modifies, cancels and stops, checked exactly.

It drives the order and risk services and the paper venue's own book (`venue.book.VenueBook`,
the code the engine runs) over random sequences, and after every step recomputes the account's
books from its fills with `tests.money.reference`. The venue hears of changes only when a
`quote` step delivers the hand-offs, so a modify can race a fill the venue already priced.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from access.tests.factories import AccountFactory
from control.services import trading_stop
from kernel.errors import ApplicationError
from marketdata.services import market_state_store
from marketdata.simulator import Quote
from marketdata.tests.factories import InstrumentFactory
from orders.enums import WORKING_STATUSES
from orders.models import Order
from orders.services import order_cancel, order_cancel_all, order_modify, order_submit
from orders.services.positions import position_close
from portfolio.models import Position
from portfolio.services import balance_deposit
from risk.services import risk_config_update, trading_reduce_only, trading_start
from tests.money.reference import Expectations, Fees, account_check, beyond
from venue.book import VenueBook

D = Decimal
FEES = {"default": {"maker": "0.0010", "taker": "0.0020"}, "BTCUSD": {"taker": "0.0005"}}


@dataclass(frozen=True)
class Spec:
    tick: D
    lot: D
    mid: D
    max_lots: int
    asset_class: str


SPECS = {
    "AAPL": Spec(D("0.01"), D("1"), D("190.00"), 150, "equity"),
    "BTCUSD": Spec(D("0.01"), D("0.0001"), D("64000.00"), 20_000, "crypto"),
    "EURUSD": Spec(D("0.00001"), D("1000"), D("1.08000"), 30_000, "fx"),
}
SYMBOLS = sorted(SPECS)
MOVES_PCT = [
    D(x) for x in ("-30", "-12", "-3", "-0.5", "-0.05", "0", "0.05", "0.5", "3", "12", "30")
]
OFFSETS_PCT = [
    D(x) for x in ("-5", "-1", "-0.2", "-0.05", "-0.01", "0", "0.01", "0.05", "0.2", "1", "5")
]
TICK = st.tuples(
    st.sampled_from(MOVES_PCT),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=1, max_value=300),
)
LIMITS = {
    "max_order_notional": "2000000",
    "max_position_notional": "3000000",
    "max_gross_exposure": "5000000",
    "max_open_orders": 40,
    "price_band_pct": "20",
}


def _on_tick(value: D, tick: D) -> D:
    return max((value / tick).to_integral_value() * tick, tick)


class MoneyMachine(RuleBasedStateMachine):
    """One account, three instruments (equity, crypto with fractional lots, FX), one venue."""

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.ready = False
        self.steps = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- setup --------------------------------------------------------------------------

    @initialize(
        cash=st.sampled_from(["1000", "20000", "250000", "5000000"]),
        band=st.sampled_from(["1", "5", None, "default"]),
        limited=st.booleans(),
    )
    def setup(self, cash, band, limited):
        django_settings.VENUE_FEES = FEES
        self.fees = Fees(FEES)
        self.account = AccountFactory()
        for symbol, spec in SPECS.items():
            InstrumentFactory(
                symbol=symbol,
                asset_class=spec.asset_class,
                tick_size=spec.tick,
                lot_size=spec.lot,
                min_quantity=spec.lot,
            )
        self.deposits = {"USD": D(cash)}
        balance_deposit(account=self.account, currency="USD", amount=D(cash))
        changes = dict(LIMITS) if limited else {}
        if band != "default":
            changes["market_protection_pct"] = band
        if changes:
            risk_config_update(account=self.account, changes=changes)
        self.band = D(django_settings.RISK_MARKET_PROTECTION_PCT) if band == "default" else None
        if band not in ("default", None):
            self.band = D(band)
        self.buffer_pct = D(str(django_settings.ORDER_MARKET_LOCK_BUFFER_BPS)) / 100
        self.now = timezone.now().replace(microsecond=0)
        self.mids = {symbol: spec.mid for symbol, spec in SPECS.items()}
        self.quotes: dict[str, Quote] = {}
        for symbol in SYMBOLS:
            self._quote_put(symbol, spread_ticks=2, bid_lots=50, ask_lots=50)
        self.book = VenueBook()
        self.book.start(holder="money-harness")
        self.expect = Expectations()
        self.pending_handoffs: set[int] = set()
        self.ready = True

    # --- the market ---------------------------------------------------------------------

    def _quote_put(self, symbol: str, *, spread_ticks: int, bid_lots: int, ask_lots: int) -> Quote:
        spec = SPECS[symbol]
        mid = self.mids[symbol]
        bid = max(_on_tick(mid, spec.tick) - spec.tick * ((spread_ticks + 1) // 2), spec.tick)
        ask = bid + spec.tick * spread_ticks
        quote = Quote(
            symbol=symbol,
            bid=bid,
            ask=ask,
            bid_size=spec.lot * bid_lots,
            ask_size=spec.lot * ask_lots,
            last=bid,
            volume=D(0),
            timestamp=self.now,
            source="simulator",
        )
        market_state_store(quotes=[quote.as_dict()], books=[], ttl_s=3600)
        self.quotes[symbol] = quote
        return quote

    def _quote_at(self, symbol: str, *, bid: D, ask: D, lots: int) -> Quote:
        spec = SPECS[symbol]
        quote = Quote(
            symbol=symbol,
            bid=max(bid, spec.tick),
            ask=ask,
            bid_size=spec.lot * lots,
            ask_size=spec.lot * lots,
            last=bid,
            volume=D(0),
            timestamp=self.now,
            source="simulator",
        )
        market_state_store(quotes=[quote.as_dict()], books=[], ttl_s=3600)
        self.quotes[symbol] = quote
        return quote

    @precondition(lambda self: self.ready)
    @rule(
        symbol=st.sampled_from(SYMBOLS),
        ticks=st.lists(TICK, min_size=1, max_size=6),
        deliver=st.booleans(),
    )
    def quote(self, symbol, ticks, deliver):
        """A burst of quotes (gaps, drifts or the same price; thin or deep); the venue matches
        each. Without `deliver` the venue has not read the latest hand-offs yet."""
        if deliver:
            self._deliver()
        self._ticks(symbol, ticks)

    def _ticks(self, symbol, ticks) -> None:
        spec = SPECS[symbol]
        for move, spread_ticks, bid_lots, ask_lots in ticks:
            self.mids[symbol] = _on_tick(self.mids[symbol] * (1 + move / 100), spec.tick)
            self.now += timedelta(seconds=1)
            quote = self._quote_put(
                symbol, spread_ticks=spread_ticks, bid_lots=bid_lots, ask_lots=ask_lots
            )
            self.book.step(quotes=[quote], now=self.now)

    def _deliver(self) -> None:
        for order_id in sorted(self.pending_handoffs):
            self.book.reload(order_id=order_id)
        self.pending_handoffs.clear()

    @precondition(lambda self: self.ready)
    @rule()
    def sweep(self):
        """The venue's periodic reconciliation with the database."""
        self.book.sweep()
        self.pending_handoffs.clear()

    @precondition(lambda self: self.ready)
    @rule(hours=st.sampled_from([1, 6, 30]))
    def time_passes(self, hours):
        """Time moves on: day and gtd orders whose time has come expire at the next step."""
        self.now += timedelta(hours=hours)
        self.book.step(quotes=[], now=self.now)

    # --- the account --------------------------------------------------------------------

    @precondition(lambda self: self.ready)
    @rule(
        symbol=st.sampled_from(SYMBOLS),
        side=st.sampled_from(["buy", "sell"]),
        order_type=st.sampled_from(["market", "limit", "stop", "stop_limit"]),
        time_in_force=st.sampled_from(["gtc", "day", "ioc", "fok", "gtd"]),
        lots=st.integers(min_value=1, max_value=1000),
        offset=st.sampled_from(OFFSETS_PCT),
        limit_offset=st.sampled_from(OFFSETS_PCT),
        deliver=st.booleans(),
        ticks=st.lists(TICK, max_size=4),
    )
    def place(
        self, symbol, side, order_type, time_in_force, lots, offset, limit_offset, deliver, ticks
    ):
        """A new order of any type and time in force; the venue reads it now or later, and the
        market may move on at once."""
        spec = SPECS[symbol]
        quantity = spec.lot * min(lots, spec.max_lots)
        mid = self.mids[symbol]
        stop = _on_tick(mid * (1 + offset / 100), spec.tick)
        limit = _on_tick(
            mid * (1 + (offset if order_type == "limit" else limit_offset) / 100), spec.tick
        )
        kwargs = {
            "limit_price": limit if order_type in ("limit", "stop_limit") else None,
            "stop_price": stop if order_type in ("stop", "stop_limit") else None,
            "expire_at": self.now + timedelta(hours=2) if time_in_force == "gtd" else None,
        }
        self._attempt(
            order_submit,
            account=self.account,
            symbol=symbol,
            side=side,
            order_type=order_type,
            time_in_force=time_in_force,
            quantity=quantity,
            **kwargs,
        )
        if deliver:
            self._deliver()
        self._ticks(symbol, ticks)

    @precondition(lambda self: self.ready)
    @rule(
        symbol=st.sampled_from(SYMBOLS),
        side=st.sampled_from(["buy", "sell"]),
        order_type=st.sampled_from(["market", "limit"]),
        time_in_force=st.sampled_from(["gtc", "ioc", "fok"]),
        lots=st.integers(min_value=1, max_value=1000),
        ticks=st.lists(TICK, min_size=1, max_size=4),
    )
    def trade(self, symbol, side, order_type, time_in_force, lots, ticks):
        """An order that meets the market at once: a market order, or a limit across the quote."""
        spec = SPECS[symbol]
        quote = self.quotes[symbol]
        limit = None
        if order_type == "limit":
            limit = (
                quote.ask + spec.tick if side == "buy" else max(quote.bid - spec.tick, spec.tick)
            )
        self._attempt(
            order_submit,
            account=self.account,
            symbol=symbol,
            side=side,
            order_type=order_type,
            time_in_force=time_in_force,
            quantity=spec.lot * min(lots, spec.max_lots),
            limit_price=limit,
        )
        self._deliver()
        self._ticks(symbol, ticks)

    @precondition(lambda self: self.ready and self._has_working())
    @rule(
        index=st.integers(min_value=0, max_value=50),
        lots=st.none() | st.integers(min_value=1, max_value=1000),
        offset=st.none() | st.sampled_from(OFFSETS_PCT),
        deliver=st.booleans(),
    )
    def modify(self, index, lots, offset, deliver):
        """Change a working order; the venue may still hold (and fill) its old copy."""
        order = self._working(index)
        if order is None:
            return
        spec = SPECS[order.instrument.symbol]
        changes = {}
        if lots is not None:
            changes["quantity"] = order.filled_quantity + spec.lot * min(lots, spec.max_lots)
        if offset is not None:
            price = _on_tick(self.mids[order.instrument.symbol] * (1 + offset / 100), spec.tick)
            if order.order_type in ("limit", "stop_limit"):
                changes["limit_price"] = price
            elif order.order_type == "stop":
                changes["stop_price"] = price
        if not changes:
            return
        modified = self._attempt(order_modify, order_id=order.pk, **changes)
        if modified is not None:
            event = modified.events.filter(type="modified").order_by("-id").first()
            lock, protection = self._terms(modified, is_close=False)
            self.expect.lock_price[modified.pk] = lock
            self.expect.protection_after[event.pk] = protection
        if deliver:
            self._deliver()

    @precondition(lambda self: self.ready)
    @rule(
        symbol=st.sampled_from(SYMBOLS),
        side=st.sampled_from(["buy", "sell"]),
        lots=st.integers(min_value=1, max_value=300),
        away=st.sampled_from([D("0.5"), D("2"), D("10")]),
        fresh=st.booleans(),
        index=st.integers(min_value=0, max_value=50),
    )
    def modify_racing_fill(self, symbol, side, lots, away, fresh, index):
        """Move a resting limit away from the market, then let a quote cross its old limit
        before the venue reads the hand-off: the venue's copy is stale when it matches."""
        spec = SPECS[symbol]
        resting = [o for o in self._resting_limits() if o.order_type == "limit"]
        if fresh or not resting:
            mid = self.mids[symbol]
            limit = _on_tick(mid * (D("0.99") if side == "buy" else D("1.01")), spec.tick)
            self._attempt(
                order_submit,
                account=self.account,
                symbol=symbol,
                side=side,
                order_type="limit",
                quantity=spec.lot * min(lots, spec.max_lots),
                limit_price=limit,
            )
        self._deliver()
        resting = [o for o in self._resting_limits() if o.order_type == "limit"]
        if not resting:
            return
        order = resting[index % len(resting)]
        spec = SPECS[order.instrument.symbol]
        factor = (1 - away / 100) if order.side == "buy" else (1 + away / 100)
        old_limit = order.limit_price
        modified = self._attempt(
            order_modify, order_id=order.pk, limit_price=_on_tick(old_limit * factor, spec.tick)
        )
        if modified is not None:
            event = modified.events.filter(type="modified").order_by("-id").first()
            lock, protection = self._terms(modified, is_close=False)
            self.expect.lock_price[modified.pk] = lock
            self.expect.protection_after[event.pk] = protection
            self.pending_handoffs.discard(modified.pk)
        # A quote right at the old limit, on the side the order would take.
        symbol = order.instrument.symbol
        self.mids[symbol] = old_limit
        self.now += timedelta(seconds=1)
        gap = spec.tick * 2
        if order.side == "buy":
            quote = self._quote_at(symbol, bid=old_limit - gap, ask=old_limit, lots=lots)
        else:
            quote = self._quote_at(symbol, bid=old_limit, ask=old_limit + gap, lots=lots)
        self.book.step(quotes=[quote], now=self.now)

    @precondition(lambda self: self.ready and self._has_working())
    @rule(index=st.integers(min_value=0, max_value=50))
    def cancel(self, index):
        order = self._working(index)
        if order is not None:
            self._attempt(order_cancel, order_id=order.pk)

    @precondition(lambda self: self.ready)
    @rule(symbol=st.none() | st.sampled_from(SYMBOLS))
    def cancel_all(self, symbol):
        order_cancel_all(account=self.account, symbol=symbol, reason="harness")
        self.pending_handoffs.update(self._working_ids())

    @precondition(lambda self: self.ready and self._has_position())
    @rule(index=st.integers(min_value=0, max_value=5))
    def close(self, index):
        """Close an open position (`DELETE /positions/{symbol}`)."""
        symbols = self._position_symbols()
        self._attempt(position_close, account=self.account, symbol=symbols[index % len(symbols)])

    @precondition(lambda self: self.ready)
    @rule(
        action=st.sampled_from(["stop", "start", "start", "reduce_only"]),
        cancel_orders=st.booleans(),
        close_positions=st.booleans(),
    )
    def trading(self, action, cancel_orders, close_positions):
        if action == "stop":
            trading_stop(
                account=self.account,
                reason="harness",
                cancel_orders=cancel_orders,
                close_positions=close_positions,
            )
        elif action == "start":
            trading_start(account=self.account, reason="harness")
        else:
            trading_reduce_only(account=self.account, reason="harness")
        self._expect_new_orders()
        self.pending_handoffs.update(self._working_ids())

    @precondition(lambda self: self.ready)
    @rule(amount=st.sampled_from(["100", "5000", "100000"]))
    def deposit(self, amount):
        balance_deposit(account=self.account, currency="USD", amount=D(amount))
        self.deposits["USD"] += D(amount)

    # --- checks -------------------------------------------------------------------------

    @invariant()
    def books_are_exact(self):
        if not self.ready:
            return
        self.steps += 1
        problems = account_check(
            account=self.account,
            fees=self.fees,
            deposits=self.deposits,
            expectations=self.expect,
            band_pct=self.band,
        )
        assert not problems, "\n".join(problems)

    # --- helpers ------------------------------------------------------------------------

    def _attempt(self, service, **kwargs):
        """Call a service; a refusal is an outcome like any other, and the books must stay exact."""
        try:
            result = service(**kwargs)
        except ApplicationError:
            result = None
        self._expect_new_orders()
        if isinstance(result, Order):
            self.pending_handoffs.add(result.pk)
        return result

    def _resting_limits(self) -> list[Order]:
        return list(
            Order.objects.filter(
                account=self.account,
                status__in=["open", "partially_filled"],
                order_type__in=["limit", "stop_limit"],
                pk__in=list(self.book.matching.orders),
            )
            .select_related("instrument")
            .order_by("id")
        )

    def _has_resting_limit(self) -> bool:
        return bool(self._resting_limits())

    def _has_working(self) -> bool:
        return Order.objects.filter(
            account=self.account, status__in=list(WORKING_STATUSES)
        ).exists()

    def _position_symbols(self) -> list[str]:
        return list(
            Position.objects.filter(account=self.account)
            .exclude(quantity=0)
            .order_by("instrument__symbol")
            .values_list("instrument__symbol", flat=True)
        )

    def _has_position(self) -> bool:
        return bool(self._position_symbols())

    def _working_ids(self) -> list[int]:
        return list(
            Order.objects.filter(account=self.account, status__in=list(WORKING_STATUSES))
            .order_by("id")
            .values_list("id", flat=True)
        )

    def _working(self, index: int) -> Order | None:
        """A working order, preferring those the venue has acknowledged (they can be modified)."""
        orders = list(
            Order.objects.filter(account=self.account, status__in=list(WORKING_STATUSES))
            .select_related("instrument")
            .order_by("id")
        )
        resting = [o for o in orders if o.status in ("open", "partially_filled")]
        pool = resting or orders
        return pool[index % len(pool)] if pool else None

    def _expect_new_orders(self) -> None:
        """Work out, from the docs, the lock and protection price of orders made just now."""
        for order in Order.objects.filter(account=self.account).exclude(
            pk__in=list(self.expect.protection)
        ):
            created = order.events.filter(type="created").first()
            is_close = bool(created and created.data.get("close"))
            lock, protection = self._terms(order, is_close=is_close)
            self.expect.lock_price[order.pk] = lock
            self.expect.protection[order.pk] = protection

    def _terms(self, order: Order, *, is_close: bool) -> tuple[D | None, D | None]:
        spec = SPECS[order.instrument.symbol]
        if order.order_type in ("limit", "stop_limit"):
            return (order.limit_price if order.side == "buy" else None), None
        if order.order_type == "market" and order.pk in self.expect.protection:
            # A market order keeps the terms the quote at entry gave it.
            return self.expect.lock_price[order.pk], self.expect.protection[order.pk]
        quote = self.quotes[order.instrument.symbol]
        reference = (
            order.stop_price
            if order.order_type == "stop"
            else (quote.ask if order.side == "buy" else quote.bid)
        )
        band = None if is_close else self.band
        pct = self.buffer_pct if band is None else band
        price = beyond(reference, side=order.side, pct=pct, tick=spec.tick)
        return (price if order.side == "buy" else None), (None if band is None else price)
