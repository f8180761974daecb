"""The paper venue's matching core: working orders per symbol against quotes; pure, no ORM."""

import heapq
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from kernel.decimals import decimal_text, step_ceil, step_floor
from orders.enums import OrderSide, OrderType, TimeInForce
from orders.pricing import MAKER, TAKER, fee_amount

ZERO = Decimal(0)
_BPS = Decimal(10_000)
# Lazily deleted heap entries are swept out once they outnumber the live ones by this much.
_COMPACT_MIN_STALE = 1024

# Where a working order sits in its symbol's book.
_STOP = "stop"
_IMMEDIATE = "immediate"
_MARKET = "market"
_LIMIT = "limit"


def session_close_after(moment: datetime, *, close: time) -> datetime:
    """Return the first session close (UTC wall time `close`) strictly after `moment`."""
    moment = moment.astimezone(UTC)
    candidate = datetime.combine(moment.date(), close, tzinfo=UTC)
    return candidate if candidate > moment else candidate + timedelta(days=1)


def exec_id_for(*, order_id: int, filled_before: Decimal) -> str:
    """Return the execution id of the fill that starts at `filled_before` of order `order_id`.

    Derived from database state only, so two engines (or one after a restart) that compute the
    same slice of an order name it alike, and the unique constraint keeps one.
    """
    return f"pv-{order_id}-{decimal_text(filled_before)}"


def _beyond_protection(order: "VenueOrder", price: Decimal) -> bool:
    limit = order.protection_price
    if limit is None:
        return False
    return price > limit if order.is_buy else price < limit


@dataclass(frozen=True)
class InstrumentTerms:
    """What matching needs of an instrument: steps, quote currency and fee rates."""

    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    currency: str
    maker_fee_rate: Decimal = ZERO
    taker_fee_rate: Decimal = ZERO


@dataclass
class VenueOrder:
    """A working order as the venue sees it (a copy of the database row's matching fields)."""

    order_id: int
    symbol: str
    side: str
    order_type: str
    time_in_force: str
    quantity: Decimal
    filled_quantity: Decimal = ZERO
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    expire_at: datetime | None = None
    created_at: datetime | None = None
    is_accepted: bool = False
    is_triggered: bool = False
    version: int = 0
    # Market and stop orders never fill past this price (None: no band).
    protection_price: Decimal | None = None
    # Set by the engine on add.
    expires_at: datetime | None = field(default=None, compare=False)
    seq: int = field(default=0, compare=False)
    place: str = field(default="", compare=False)
    rested_from_quote: int = field(default=0, compare=False)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_quantity

    @property
    def is_buy(self) -> bool:
        return self.side == OrderSide.BUY

    @property
    def acts_as_market(self) -> bool:
        return self.order_type == OrderType.MARKET or (
            self.order_type == OrderType.STOP and self.is_triggered
        )


@dataclass(frozen=True)
class Accept:
    order_id: int


@dataclass(frozen=True)
class Trigger:
    order_id: int
    triggered_at: datetime


@dataclass(frozen=True)
class Fill:
    order_id: int
    order_version: int
    venue_exec_id: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: str
    executed_at: datetime


@dataclass(frozen=True)
class Cancel:
    order_id: int
    reason: str


@dataclass(frozen=True)
class Expire:
    order_id: int


Action = Accept | Trigger | Fill | Cancel | Expire


@dataclass
class _Book:
    terms: InstrumentTerms
    buy_limits: list[tuple[Decimal, int, int]] = field(default_factory=list)
    sell_limits: list[tuple[Decimal, int, int]] = field(default_factory=list)
    buy_stops: list[tuple[Decimal, int, int]] = field(default_factory=list)
    sell_stops: list[tuple[Decimal, int, int]] = field(default_factory=list)
    markets: deque[tuple[int, int]] = field(default_factory=deque)
    immediates: list[tuple[int, int]] = field(default_factory=list)
    quotes: int = 0
    live: int = 0
    stale: int = 0


class MatchingEngine:
    """Working orders per symbol; `match(quote)` returns what the venue does on that quote.

    Per symbol: buy limits by price desc, sell limits by price asc, buy stops by trigger asc,
    sell stops by trigger desc (heaps, lazily deleted), so a quote touches only the orders that
    cross it. The caller applies the returned actions in order; the engine assumes they succeed
    (on a failure the caller removes the order and reloads it from its store).
    """

    def __init__(
        self,
        *,
        slippage_bps: Decimal = ZERO,
        session_close: time = time(21, 0),
    ):
        self.slippage = slippage_bps / _BPS
        self.session_close = session_close
        self.orders: dict[int, VenueOrder] = {}
        self.books: dict[str, _Book] = {}
        self.expiries: list[tuple[datetime, int, int]] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self.orders)

    def __contains__(self, order_id: int) -> bool:
        return order_id in self.orders

    def set_terms(self, terms: InstrumentTerms) -> None:
        """Set (or update) an instrument's steps and fee rates."""
        book = self.books.get(terms.symbol)
        if book is None:
            self.books[terms.symbol] = _Book(terms=terms)
        else:
            book.terms = terms

    def add(self, order: VenueOrder, *, is_fresh: bool = False) -> list[Action]:
        """Put `order` on its book (replacing an earlier copy); return [Accept] if it needs one.

        IOC and FOK orders are never acknowledged as resting: they fill or cancel on the next quote.
        An accepted order reloaded as it was (a restart) rests at once and is a maker; a fresh
        one (new, or modified since the venue last saw it) takes liquidity on its first quote.
        """
        if order.symbol not in self.books:
            raise KeyError(f"no terms for {order.symbol}")
        self.remove(order.order_id)
        if order.remaining <= 0:
            return []
        book = self.books[order.symbol]
        self._seq += 1
        order.seq = self._seq
        # An order that was already resting before it came here (reloaded) is a maker at once.
        order.rested_from_quote = -1 if order.is_accepted and not is_fresh else book.quotes
        if order.time_in_force == TimeInForce.DAY and order.created_at is not None:
            order.expires_at = session_close_after(order.created_at, close=self.session_close)
        elif order.time_in_force == TimeInForce.GTD:
            order.expires_at = order.expire_at
        else:
            order.expires_at = None
        self.orders[order.order_id] = order
        book.live += 1
        self._place(book, order)
        if order.expires_at is not None:
            heapq.heappush(self.expiries, (order.expires_at, order.seq, order.order_id))
        immediate = order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK)
        if order.is_accepted or immediate:
            return []
        order.is_accepted = True
        return [Accept(order.order_id)]

    def remove(self, order_id: int) -> VenueOrder | None:
        """Take an order off its book; return it, or None if it was not there."""
        order = self.orders.pop(order_id, None)
        if order is None:
            return None
        book = self.books[order.symbol]
        book.live -= 1
        book.stale += 1
        return order

    def expire_due(self, *, now: datetime) -> list[Action]:
        """Remove the day/gtd orders whose time has come; return their Expire actions."""
        actions: list[Action] = []
        while self.expiries and self.expiries[0][0] <= now:
            _, seq, order_id = heapq.heappop(self.expiries)
            order = self.orders.get(order_id)
            if order is not None and order.seq == seq:
                self.remove(order_id)
                actions.append(Expire(order_id))
        return actions

    def match(self, quote: Any) -> list[Action]:
        """Return the triggers, fills and cancels that `quote` (bid/ask/sizes/timestamp) causes."""
        book = self.books.get(quote.symbol)
        if book is None:
            return []
        # Compact here, never mid-match: the loops below hold references to the heaps.
        if book.stale > _COMPACT_MIN_STALE and book.stale > book.live:
            self._compact(book)
        book.quotes += 1
        actions: list[Action] = []
        self._trigger_stops(book, quote, actions)
        budget: dict[str, Decimal] = {OrderSide.BUY: quote.ask_size, OrderSide.SELL: quote.bid_size}
        self._match_aggressive(book, quote, budget, actions)
        self._match_limits(book, quote, budget, actions, is_buy=True)
        self._match_limits(book, quote, budget, actions, is_buy=False)
        return actions

    # Internals.

    def _valid(self, order_id: int, seq: int, place: str) -> VenueOrder | None:
        order = self.orders.get(order_id)
        if order is None or order.seq != seq or order.place != place:
            return None
        return order

    def _place(self, book: _Book, order: VenueOrder) -> None:
        entry_seq, order_id = order.seq, order.order_id
        if order.order_type in (OrderType.STOP, OrderType.STOP_LIMIT) and not order.is_triggered:
            order.place = _STOP
            stop = order.stop_price
            assert stop is not None, "a stop order has a stop price"
            if order.is_buy:
                heapq.heappush(book.buy_stops, (stop, entry_seq, order_id))
            else:
                heapq.heappush(book.sell_stops, (-stop, entry_seq, order_id))
        elif order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            order.place = _IMMEDIATE
            book.immediates.append((entry_seq, order_id))
        elif order.acts_as_market:
            order.place = _MARKET
            book.markets.append((entry_seq, order_id))
        else:
            order.place = _LIMIT
            limit = order.limit_price
            assert limit is not None, "a resting order has a limit price"
            if order.is_buy:
                heapq.heappush(book.buy_limits, (-limit, entry_seq, order_id))
            else:
                heapq.heappush(book.sell_limits, (limit, entry_seq, order_id))

    def _compact(self, book: _Book) -> None:
        def keep(entries: list, place: str) -> list:
            kept = [e for e in entries if self._valid(e[-1], e[-2], place) is not None]
            heapq.heapify(kept)
            return kept

        book.buy_limits = keep(book.buy_limits, _LIMIT)
        book.sell_limits = keep(book.sell_limits, _LIMIT)
        book.buy_stops = keep(book.buy_stops, _STOP)
        book.sell_stops = keep(book.sell_stops, _STOP)
        book.markets = deque(e for e in book.markets if self._valid(e[1], e[0], _MARKET))
        book.stale = 0

    def _trigger_stops(self, book: _Book, quote: Any, actions: list[Action]) -> None:
        triggered: list[VenueOrder] = []
        # Buy stops trigger when the ask reaches the stop, sell stops when the bid does.
        for heap, crosses in (
            (book.buy_stops, lambda key: key <= quote.ask),
            (book.sell_stops, lambda key: -key >= quote.bid),
        ):
            while heap:
                key, seq, order_id = heap[0]
                order = self._valid(order_id, seq, _STOP)
                if order is None:
                    heapq.heappop(heap)
                    continue
                if not crosses(key):
                    break
                heapq.heappop(heap)
                triggered.append(order)
        for order in sorted(triggered, key=lambda o: o.seq):
            order.is_triggered = True
            # As if added just before this quote: a taker now, a maker on later quotes.
            order.rested_from_quote = book.quotes - 1
            actions.append(Trigger(order.order_id, quote.timestamp))
            self._place(book, order)

    def _slipped(self, book: _Book, quote: Any, *, is_buy: bool) -> Decimal:
        tick = book.terms.tick_size
        if is_buy:
            return step_ceil(quote.ask * (1 + self.slippage), tick)
        return step_floor(quote.bid * (1 - self.slippage), tick)

    def _fill(
        self,
        book: _Book,
        order: VenueOrder,
        quote: Any,
        quantity: Decimal,
        price: Decimal,
        actions: list[Action],
    ) -> None:
        terms = book.terms
        is_maker = not order.acts_as_market and order.rested_from_quote < book.quotes - 1
        rate = terms.maker_fee_rate if is_maker else terms.taker_fee_rate
        fee = fee_amount(quantity=quantity, price=price, rate=rate, currency=terms.currency)
        actions.append(
            Fill(
                order_id=order.order_id,
                order_version=order.version,
                venue_exec_id=exec_id_for(
                    order_id=order.order_id, filled_before=order.filled_quantity
                ),
                quantity=quantity,
                price=price,
                fee=fee,
                fee_currency=terms.currency,
                liquidity=MAKER if is_maker else TAKER,
                executed_at=quote.timestamp,
            )
        )
        order.filled_quantity += quantity
        if order.remaining <= 0:
            self.remove(order.order_id)

    def _fillable(self, book: _Book, order: VenueOrder, budget: dict[str, Decimal]) -> Decimal:
        available = min(order.remaining, budget[order.side])
        return step_floor(available, book.terms.lot_size) if available > 0 else ZERO

    def _match_aggressive(
        self, book: _Book, quote: Any, budget: dict[str, Decimal], actions: list[Action]
    ) -> None:
        entries = [(seq, oid, _MARKET) for seq, oid in book.markets]
        entries += [(seq, oid, _IMMEDIATE) for seq, oid in book.immediates]
        book.immediates = []
        entries.sort()
        still_working: deque[tuple[int, int]] = deque()
        for seq, order_id, place in entries:
            order = self._valid(order_id, seq, place)
            if order is None:
                continue
            if order.acts_as_market:
                price = self._slipped(book, quote, is_buy=order.is_buy)
                crosses = True
                if _beyond_protection(order, price):
                    # The market moved past the band since entry: nothing fills, the rest goes.
                    self.remove(order_id)
                    actions.append(Cancel(order_id, "price_protection"))
                    continue
            else:
                price = quote.ask if order.is_buy else quote.bid
                crosses = price <= order.limit_price if order.is_buy else price >= order.limit_price
            quantity = self._fillable(book, order, budget) if crosses else ZERO
            if order.time_in_force == TimeInForce.FOK and quantity < order.remaining:
                self.remove(order_id)
                actions.append(Cancel(order_id, "fok_not_filled"))
                continue
            if quantity > 0:
                budget[order.side] -= quantity
                self._fill(book, order, quote, quantity, price, actions)
            if order.order_id not in self.orders:
                continue
            if place == _IMMEDIATE:
                self.remove(order_id)
                actions.append(Cancel(order_id, "ioc_remainder"))
            else:
                still_working.append((seq, order_id))
        book.markets = still_working

    def _match_limits(
        self,
        book: _Book,
        quote: Any,
        budget: dict[str, Decimal],
        actions: list[Action],
        *,
        is_buy: bool,
    ) -> None:
        heap = book.buy_limits if is_buy else book.sell_limits
        side = OrderSide.BUY if is_buy else OrderSide.SELL
        # A resting buy fills at the ask when the ask is at or below its limit (the limit or
        # better), a resting sell at the bid when the bid is at or above it.
        price = quote.ask if is_buy else quote.bid
        lot = book.terms.lot_size
        while heap and budget[side] >= lot:
            key, seq, order_id = heap[0]
            order = self._valid(order_id, seq, _LIMIT)
            if order is None:
                heapq.heappop(heap)
                continue
            limit = -key if is_buy else key
            if (price > limit) if is_buy else (price < limit):
                break
            quantity = self._fillable(book, order, budget)
            if quantity <= 0:
                break
            budget[side] -= quantity
            self._fill(book, order, quote, quantity, price, actions)
            if order.order_id in self.orders:
                # The displayed size ran out before this order did.
                break
            heapq.heappop(heap)
