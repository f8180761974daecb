"""The money harness's own arithmetic and checks, written from the docs, not from the code.

Nothing here imports the services' rules (pricing, accounting, the state table): each figure is
recomputed from the fills and the documented rules, and compared to what the database holds.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

D = Decimal
ZERO = D(0)
PLACES = D("0.0000000001")
WORKING = {"pending", "open", "partially_filled", "pending_cancel"}

# docs/orders.md, "Transition table", copied by hand: (from, event) -> to.
EDGES = {
    ("new", "submitted"): "pending",
    ("new", "rejected"): "rejected",
    ("pending", "accepted"): "open",
    ("pending", "rejected"): "rejected",
    ("pending", "partially_filled"): "partially_filled",
    ("pending", "filled"): "filled",
    ("pending", "cancel_requested"): "pending_cancel",
    ("pending", "canceled"): "canceled",
    ("pending", "expired"): "expired",
    ("pending", "triggered"): "pending",
    ("open", "partially_filled"): "partially_filled",
    ("open", "filled"): "filled",
    ("open", "modified"): "open",
    ("open", "cancel_requested"): "pending_cancel",
    ("open", "canceled"): "canceled",
    ("open", "expired"): "expired",
    ("open", "triggered"): "open",
    ("partially_filled", "partially_filled"): "partially_filled",
    ("partially_filled", "filled"): "filled",
    ("partially_filled", "modified"): "partially_filled",
    ("partially_filled", "cancel_requested"): "pending_cancel",
    ("partially_filled", "canceled"): "canceled",
    ("partially_filled", "expired"): "expired",
    ("pending_cancel", "partially_filled"): "pending_cancel",
    ("pending_cancel", "filled"): "filled",
    ("pending_cancel", "canceled"): "canceled",
    ("pending_cancel", "expired"): "expired",
}
CURRENCY_PLACES = {"USD": 2}
_DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def q(value: D) -> D:
    return value.quantize(PLACES, rounding=ROUND_HALF_EVEN)


def tick_up(value: D, tick: D) -> D:
    return (value / tick).to_integral_value(rounding=ROUND_CEILING) * tick


def tick_down(value: D, tick: D) -> D:
    return (value / tick).to_integral_value(rounding=ROUND_FLOOR) * tick


@dataclass(frozen=True)
class Fees:
    """VENUE_FEES as the docs read it: a symbol's rates override the default one by one."""

    table: dict[str, dict[str, str]]

    def rate(self, symbol: str, liquidity: str) -> D:
        entry = {**self.table.get("default", {}), **self.table.get(symbol, {})}
        return D(entry.get(liquidity, "0"))

    def reserve(self, symbol: str) -> D:
        return max(self.rate(symbol, "maker"), self.rate(symbol, "taker"))

    def charged(self, symbol: str, quantity: D, price: D, liquidity: str) -> D:
        places = D(1).scaleb(-CURRENCY_PLACES.get("USD", 8))
        return (quantity * price * self.rate(symbol, liquidity)).quantize(
            places, rounding=ROUND_HALF_UP
        )


def lock_of(*, fees: Fees, symbol: str, remaining: D, lock_price: D | None) -> D:
    """docs/orders.md, "Locks": a buy reserves remaining x lock price plus the fee reserve."""
    if lock_price is None or remaining <= 0:
        return ZERO
    return q(q(remaining * lock_price) * (1 + fees.reserve(symbol)))


def beyond(price: D, *, side: str, pct: D, tick: D) -> D:
    """`pct` percent past `price` against the trader, on the tick."""
    if side == "buy":
        return tick_up(price * (1 + pct / 100), tick)
    return max(tick_down(price * (1 - pct / 100), tick), tick)


@dataclass
class Position:
    """Average cost by the docs: cost of the open quantity, released pro rata."""

    quantity: D = ZERO
    cost: D = ZERO
    realized: D = ZERO

    def apply(self, signed: D, price: D) -> None:
        held = self.quantity
        if held == 0 or (held > 0) == (signed > 0):
            self.quantity += signed
            self.cost += q(abs(signed) * price)
            return
        closed = min(abs(held), abs(signed))
        share = self.cost if closed == abs(held) else q(self.cost * closed / abs(held))
        direction = 1 if held > 0 else -1
        self.realized += (q(closed * price) - share) * direction
        rest = abs(signed) - closed
        if rest:
            self.quantity = rest if signed > 0 else -rest
            self.cost = q(rest * price)
        else:
            self.quantity = held + signed
            self.cost -= share


@dataclass
class Expectations:
    """What the harness itself decided about each order: its lock price and protection price."""

    lock_price: dict[int, D | None] = field(default_factory=dict)
    protection: dict[int, D | None] = field(default_factory=dict)
    # Terms after each modification, keyed by the `modified` event's id.
    protection_after: dict[int, D | None] = field(default_factory=dict)


class Violations(AssertionError):
    pass


def _require(condition: bool, message: str, problems: list[str]) -> None:
    if not condition:
        problems.append(message)


def decimal_texts_check(value: Any, where: str, problems: list[str]) -> None:
    """Every decimal string is the one plain form: no exponent, no trailing zero, never -0."""
    if isinstance(value, dict):
        for name, item in value.items():
            decimal_texts_check(item, f"{where}.{name}", problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            decimal_texts_check(item, f"{where}[{index}]", problems)
    elif isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        plain = format(D(value), "f")
        if "." in plain:
            plain = plain.rstrip("0").rstrip(".")
        if plain in ("-0", ""):
            plain = "0"
        _require(value == plain, f"{where}: {value!r} is not plain ({plain!r})", problems)
    elif isinstance(value, D):
        problems.append(f"{where}: a Decimal object ({value!r}) where text was expected")


def account_check(
    *,
    account,
    fees: Fees,
    deposits: dict[str, D],
    expectations: Expectations,
    band_pct: D | None,
) -> list[str]:
    """Recompute the account's books from its fills and the documented rules; list mismatches."""
    from orders.models import Fill, Order, OrderEvent
    from orders.representations import fill_representation, order_representation
    from portfolio.models import Balance, LedgerEntry
    from portfolio.models import Position as PositionRow
    from portfolio.representations import balance_representation, position_representation

    problems: list[str] = []
    orders = {o.pk: o for o in Order.objects.filter(account=account).select_related("instrument")}
    fills = list(Fill.objects.filter(account=account).select_related("instrument").order_by("id"))
    by_order: dict[int, list] = defaultdict(list)
    for fill in fills:
        by_order[fill.order_id].append(fill)

    # Cash: deposits plus each fill's cash minus its fee, and the lock rule for what works.
    cash = dict(deposits)
    for fill in fills:
        signed = fill.quantity if fill.side == "buy" else -fill.quantity
        cash["USD"] = cash.get("USD", ZERO) - q(signed * fill.price) - fill.fee
        expected_fee = fees.charged(
            fill.instrument.symbol, fill.quantity, fill.price, fill.liquidity
        )
        _require(
            fill.fee == expected_fee,
            f"fill {fill.venue_exec_id}: fee {fill.fee} != {expected_fee}",
            problems,
        )
    locked = ZERO
    for order in orders.values():
        if order.status not in WORKING or order.side != "buy":
            continue
        remaining = order.quantity - order.filled_quantity
        expected = lock_of(
            fees=fees,
            symbol=order.instrument.symbol,
            remaining=remaining,
            lock_price=expectations.lock_price.get(order.pk, order.limit_price),
        )
        _require(
            order.locked_amount == expected,
            f"order {order.pk}: locked {order.locked_amount} != rule {expected}",
            problems,
        )
        locked += expected
    for balance in Balance.objects.filter(account=account):
        ledger = sum(
            LedgerEntry.objects.filter(account=account, currency=balance.currency).values_list(
                "amount", flat=True
            ),
            ZERO,
        )
        where = f"balance {balance.currency}"
        _require(
            balance.total == ledger, f"{where}: total {balance.total} != ledger {ledger}", problems
        )
        _require(
            balance.total == cash.get(balance.currency, ZERO),
            f"{where}: total {balance.total} != cash from fills {cash.get(balance.currency)}",
            problems,
        )
        _require(
            balance.total == balance.available + balance.locked,
            f"{where}: {balance.total} != {balance.available} + {balance.locked}",
            problems,
        )
        _require(balance.available >= 0, f"{where}: available {balance.available} < 0", problems)
        if balance.currency == "USD":
            _require(
                balance.locked == locked, f"{where}: locked {balance.locked} != {locked}", problems
            )
        decimal_texts_check(balance_representation(balance), where, problems)

    # Positions: the signed sum of the fills, at average cost.
    replayed: dict[int, Position] = defaultdict(Position)
    for fill in fills:
        signed = fill.quantity if fill.side == "buy" else -fill.quantity
        replayed[fill.instrument_id].apply(signed, fill.price)
    for row in PositionRow.objects.filter(account=account).select_related("instrument"):
        expected = replayed[row.instrument_id]
        where = f"position {row.instrument.symbol}"
        _require(
            (row.quantity, row.cost_basis, row.realized_pnl)
            == (expected.quantity, expected.cost, expected.realized),
            f"{where}: {(row.quantity, row.cost_basis, row.realized_pnl)} != "
            f"{(expected.quantity, expected.cost, expected.realized)}",
            problems,
        )
        average = q(expected.cost / abs(expected.quantity)) if expected.quantity else ZERO
        _require(
            row.average_entry_price == average,
            f"{where}: average {row.average_entry_price}",
            problems,
        )
        decimal_texts_check(position_representation(row), where, problems)

    # Orders: fills add up, status agrees, events follow the table, fills keep to the terms.
    events = defaultdict(list)
    for event in OrderEvent.objects.filter(order__account=account).order_by("id"):
        events[event.order_id].append(event)
    for order in orders.values():
        where = f"order {order.pk}"
        filled = sum((f.quantity for f in by_order[order.pk]), ZERO)
        _require(
            order.filled_quantity == filled,
            f"{where}: filled {order.filled_quantity} != {filled}",
            problems,
        )
        _require(
            ZERO <= filled <= order.quantity,
            f"{where}: filled {filled} of {order.quantity}",
            problems,
        )
        status = order.status
        if status == "filled":
            _require(filled == order.quantity, f"{where}: filled status with {filled}", problems)
        elif status == "partially_filled":
            _require(ZERO < filled < order.quantity, f"{where}: partial with {filled}", problems)
        elif status in ("open", "rejected", "new"):
            _require(filled == 0, f"{where}: {status} with fills", problems)
        if status not in WORKING:
            _require(order.locked_amount == 0, f"{where}: {status} still locks", problems)
        _events_check(order, events[order.pk], by_order[order.pk], expectations, problems)
        decimal_texts_check(order_representation(order), where, problems)
        for event in events[order.pk]:
            decimal_texts_check(event.data, f"{where} event {event.type}", problems)
    for fill in fills:
        decimal_texts_check(fill_representation(fill), f"fill {fill.pk}", problems)
    return problems


def _events_check(order, events, fills, expectations: Expectations, problems: list[str]) -> None:
    where = f"order {order.pk}"
    if not events or events[0].type != "created":
        problems.append(f"{where}: does not start with `created`")
        return
    status = events[0].status_after
    limit = _created_limit(order, events)
    protection = expectations.protection.get(order.pk)
    triggered = False
    fills_by_id = {f.pk: f for f in fills}
    for event in events[1:]:
        edge = (event.status_before, event.type)
        if event.status_before != status or EDGES.get(edge) != event.status_after:
            problems.append(f"{where}: {status} --{event.type}--> {event.status_after} not allowed")
            return
        status = event.status_after
        if event.type == "modified":
            if "limit_price" in event.data:
                limit = D(event.data["limit_price"])
            if event.pk in expectations.protection_after:
                protection = expectations.protection_after[event.pk]
        elif event.type == "triggered":
            triggered = True
        elif event.type in ("partially_filled", "filled"):
            fill = fills_by_id.get(event.data.get("fill_id"))
            if fill is None:
                problems.append(f"{where}: {event.type} without its fill")
                continue
            if order.order_type in ("stop", "stop_limit") and not triggered:
                problems.append(f"{where}: filled before its stop triggered")
            bound = limit if order.order_type in ("limit", "stop_limit") else protection
            if bound is not None:
                worse = fill.price > bound if order.side == "buy" else fill.price < bound
                _require(not worse, f"{where}: fill at {fill.price} beyond {bound}", problems)
    _require(
        status == order.status,
        f"{where}: events end in {status}, row says {order.status}",
        problems,
    )


def _created_limit(order, events) -> D | None:
    if order.order_type not in ("limit", "stop_limit"):
        return None
    # The created event records the limit (or the stop for stop orders) as its price; for a
    # stop_limit it records the limit too (`limit_price or stop_price`).
    return events[0].price
