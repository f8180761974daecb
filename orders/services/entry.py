"""Order entry: validation, preview, submission and modification, with pre-trade risk."""

import uuid
from copy import copy
from dataclasses import asdict, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from access.models import Account
from audit.services import audit_record_many
from kernel.db.insert import row_insert_unless_taken, rows_insert
from kernel.db.prepared import Prepared
from kernel.decimals import decimal_text, step_floor
from marketdata.enums import InstrumentStatus
from marketdata.models import Instrument
from orders.enums import OrderEventType, OrderSide, OrderStatus, OrderType, TimeInForce
from orders.errors import (
    DuplicateClientOrderId,
    OrderValidationError,
    RiskRejected,
    VersionMismatch,
)
from orders.events import order_publish, venue_notify
from orders.models import Order, OrderEvent
from orders.pricing import OrderTerms, order_lock, order_terms
from orders.selectors import order_facts_for_risk
from orders.services.common import (
    ZERO,
    order_estimate,
    order_reference_price,
    order_snapshot,
    order_transition,
)
from orders.state import order_next_status
from portfolio.events import balance_publish
from portfolio.models import Balance
from portfolio.services import balance_get_for_update, balance_lock
from risk.errors import TradingStopped
from risk.pretrade import (
    OrderIntent,
    RiskLimits,
    Violation,
    pretrade_assess,
    risk_limits_read,
    trading_gate,
)

PRICED_BY_LIMIT = (OrderType.LIMIT, OrderType.STOP_LIMIT)
PRICED_BY_STOP = (OrderType.STOP, OrderType.STOP_LIMIT)


def _on_grid(value: Decimal, step: Decimal) -> bool:
    return value % step == 0


Errors = dict[str, list[str]]


_INSTRUMENT = Prepared(
    lambda p: Instrument.objects.filter(symbol=p.symbol).order_by("pk")[:1],
    symbol=models.CharField(),
)


def _instrument_errors(symbol: str, errors: Errors) -> Instrument | None:
    found = _INSTRUMENT.objects(symbol=(symbol or "").upper())
    instrument = found[0] if found else None
    if instrument is None:
        errors["symbol"] = [f"Unknown symbol {symbol!r}."]
    elif instrument.status != InstrumentStatus.TRADING:
        errors["symbol"] = [f"{instrument.symbol} is not trading ({instrument.status})."]
    return instrument


def _choice_errors(*, side: str, order_type: str, time_in_force: str, errors: Errors) -> None:
    for field, value, choices in (
        ("side", side, OrderSide.values),
        ("order_type", order_type, OrderType.values),
        ("time_in_force", time_in_force, TimeInForce.values),
    ):
        if value not in choices:
            errors[field] = [f"One of {', '.join(choices)}."]


def _quantity_errors(quantity: Decimal, instrument: Instrument | None, errors: Errors) -> None:
    if quantity is None or quantity <= 0:
        errors["quantity"] = ["Must be greater than 0."]
    elif instrument is not None and not _on_grid(quantity, instrument.lot_size):
        errors["quantity"] = [
            f"Must be a multiple of the lot size {decimal_text(instrument.lot_size)}."
        ]
    elif instrument is not None and quantity < instrument.min_quantity:
        errors["quantity"] = [
            f"Must be at least the minimum quantity {decimal_text(instrument.min_quantity)}."
        ]


def _price_errors(
    *,
    order_type: str,
    prices: dict[str, Decimal | None],
    instrument: Instrument | None,
    errors: Errors,
) -> None:
    """Prices the type needs are given, those it does not take are not, each > 0 on the tick."""
    needed = {
        "limit_price": order_type in PRICED_BY_LIMIT,
        "stop_price": order_type in PRICED_BY_STOP,
    }
    for field, required in needed.items():
        if required and prices[field] is None:
            errors[field] = [f"Required for {order_type} orders."]
        elif not required and prices[field] is not None and order_type in OrderType.values:
            errors[field] = [f"Not allowed for {order_type} orders."]
    for field, value in prices.items():
        if value is None or field in errors:
            continue
        if value <= 0:
            errors[field] = ["Must be greater than 0."]
        elif instrument is not None and not _on_grid(value, instrument.tick_size):
            errors[field] = [
                f"Must be a multiple of the tick size {decimal_text(instrument.tick_size)}."
            ]


def _expiry_errors(
    *, time_in_force: str, expire_at: datetime | None, now: datetime, errors: Errors
) -> None:
    if time_in_force != TimeInForce.GTD:
        if expire_at is not None:
            errors["expire_at"] = ["Only gtd orders take expire_at."]
    elif expire_at is None:
        errors["expire_at"] = ["Required for gtd orders."]
    elif expire_at <= now:
        errors["expire_at"] = ["Must be in the future."]


def order_validate(
    *,
    symbol: str,
    side: str,
    order_type: str,
    time_in_force: str,
    quantity: Decimal,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    expire_at: datetime | None = None,
    stop_loss: Decimal | None = None,
    now: datetime | None = None,
) -> Instrument:
    """Return the instrument of a well-formed order.

    Raises OrderValidationError (400) naming every field that is missing, not allowed for the
    type, off the lot/tick grid, or an instrument that is not trading.
    """
    errors: Errors = {}
    instrument = _instrument_errors(symbol, errors)
    _choice_errors(side=side, order_type=order_type, time_in_force=time_in_force, errors=errors)
    _quantity_errors(quantity, instrument, errors)
    _price_errors(
        order_type=order_type,
        prices={"limit_price": limit_price, "stop_price": stop_price, "stop_loss": stop_loss},
        instrument=instrument,
        errors=errors,
    )
    _expiry_errors(
        time_in_force=time_in_force,
        expire_at=expire_at,
        now=now or timezone.now(),
        errors=errors,
    )
    if errors:
        raise OrderValidationError(errors)
    assert instrument is not None, "an unknown symbol is a validation error"
    return instrument


def violation_payload(violation: Violation) -> dict[str, Any]:
    """Return a violation as JSON-safe text: {rule, limit, value, message}."""
    return {
        name: decimal_text(value) if isinstance(value, Decimal) else value
        for name, value in asdict(violation).items()
    }


def order_intent(
    *,
    account_id: int,
    instrument: Instrument,
    side: str,
    order_type: str,
    quantity: Decimal,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    stop_loss: Decimal | None,
    reference_price: Decimal | None,
    exclude_order_id: int | None = None,
    is_close: bool = False,
    now: datetime | None = None,
) -> OrderIntent:
    """Return the order as the risk rules see it, with the account's other orders counted
    (`now`, default the clock, anchors the one-second order-rate window)."""
    return OrderIntent(
        account_id=account_id,
        instrument=instrument,
        side=side,
        order_type=order_type,
        quantity=quantity,
        limit_price=limit_price,
        stop_price=stop_price,
        stop_loss=stop_loss,
        reference_price=reference_price,
        exclude_order_id=exclude_order_id,
        is_close=is_close,
        currency=instrument.currency,
        **order_facts_for_risk(
            account_id=account_id,
            instrument_id=instrument.pk,
            exclude_order_id=exclude_order_id,
            now=now,
        ),
    )


def _order_draft(
    *,
    account: Account,
    symbol: str,
    side: str,
    order_type: str,
    time_in_force: str,
    quantity: Decimal,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    expire_at: datetime | None,
    stop_loss: Decimal | None,
    is_close: bool = False,
) -> tuple[Instrument, Decimal, OrderIntent]:
    """Validate an order request; return (instrument, reference price, risk intent).

    Shared by preview and submit so both judge an order the same way.
    """
    instrument = order_validate(
        symbol=symbol,
        side=side,
        order_type=order_type,
        time_in_force=time_in_force,
        quantity=quantity,
        limit_price=limit_price,
        stop_price=stop_price,
        expire_at=expire_at,
        stop_loss=stop_loss,
    )
    reference = order_reference_price(
        instrument=instrument,
        side=side,
        order_type=order_type,
        limit_price=limit_price,
        stop_price=stop_price,
    )
    intent = order_intent(
        account_id=account.pk,
        instrument=instrument,
        side=side,
        order_type=order_type,
        quantity=quantity,
        limit_price=limit_price,
        stop_price=stop_price,
        stop_loss=stop_loss,
        reference_price=reference,
        is_close=is_close,
    )
    return instrument, reference, intent


def _terms(
    *, instrument: Instrument, intent: OrderIntent, reference: Decimal, limits: RiskLimits
) -> OrderTerms:
    # A close is never held to the band: it must get out, within what the account can pay.
    return order_terms(
        side=intent.side,
        order_type=intent.order_type,
        limit_price=intent.limit_price,
        reference_price=reference,
        tick_size=instrument.tick_size,
        protection_pct=None if intent.is_close else limits.market_protection_pct,
    )


def _lock_of(intent: OrderIntent, terms: OrderTerms) -> Decimal:
    return order_lock(
        side=intent.side,
        quantity=intent.quantity,
        lock_price=terms.lock_price,
        symbol=intent.instrument.symbol,
    )


def _affordable(*, intent: OrderIntent, terms: OrderTerms, available: Decimal) -> Decimal:
    """The largest lot multiple up to the intent's quantity whose lock fits in `available`."""
    lot = intent.instrument.lot_size
    per_lot = _lock_of(replace(intent, quantity=lot), terms)
    if per_lot <= 0:
        return intent.quantity
    fitting = min(intent.quantity, step_floor(available / per_lot * lot, lot))
    while fitting > 0 and _lock_of(replace(intent, quantity=fitting), terms) > available:
        fitting -= lot
    return max(fitting, ZERO)


def _as_created(order: Order) -> Order:
    """The order as it stood when created, before entry submitted or rejected it."""
    created = copy(order)
    created.status = OrderStatus.NEW
    created.locked_amount = ZERO
    created.reject_code = created.reject_reason = ""
    return created


def order_preview(
    *,
    account: Account,
    symbol: str,
    side: str,
    order_type: str,
    quantity: Decimal,
    time_in_force: str = TimeInForce.GTC,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    expire_at: datetime | None = None,
    stop_loss: Decimal | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    """Return what submitting would do, writing nothing: verdict, violations, price, notional,
    fee, and the balance it would lock. Raises OrderValidationError for malformed input."""
    instrument, reference, intent = _order_draft(
        account=account,
        symbol=symbol,
        side=side,
        order_type=order_type,
        time_in_force=time_in_force,
        quantity=quantity,
        limit_price=limit_price,
        stop_price=stop_price,
        expire_at=expire_at,
        stop_loss=stop_loss,
    )
    violations = []
    try:
        trading_gate(intent=intent)
    except TradingStopped as stopped:
        violations.append(
            Violation(
                rule="trading_state",
                limit="running",
                value=str((stopped.details or {}).get("trading_state", "")),
                message=stopped.message,
            )
        )
    limits = risk_limits_read(account_id=account.pk)
    terms = _terms(instrument=instrument, intent=intent, reference=reference, limits=limits)
    estimate = order_estimate(
        instrument=instrument, side=side, quantity=quantity, reference_price=reference, terms=terms
    )
    balance = Balance.objects.filter(account_id=account.pk, currency=instrument.currency).first()
    available = balance.available if balance is not None else ZERO
    intent = replace(intent, lock_amount=estimate["locked"], available=available)
    violations.extend(pretrade_assess(intent=intent, limits=limits).violations)
    return {
        "verdict": "rejected" if violations else "accepted",
        "violations": [violation_payload(v) for v in violations],
        "symbol": instrument.symbol,
        "currency": instrument.currency,
        "estimated_price": reference,
        "notional": estimate["notional"],
        "fee": estimate["fee"],
        "locked_amount": estimate["locked"],
        "protection_price": terms.protection_price,
        "available": available,
    }


def order_submit(
    *,
    account: Account,
    symbol: str,
    side: str,
    order_type: str,
    quantity: Decimal,
    time_in_force: str = TimeInForce.GTC,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    expire_at: datetime | None = None,
    stop_loss: Decimal | None = None,
    client_order_id: str | None = None,
    strategy: str = "",
    signal: str | None = None,
    note: str = "",
    is_close: bool = False,
) -> Order:
    """Place an order: validate, gate, risk-check, lock cash and hand it to the venue; return it.

    A close (`is_close`: a market order that reduces a position) passes a stopped gate and every
    risk-increasing rule, is not held to the protection band, and is cut to the quantity the
    available cash can lock (its event data says how much could not be placed).

    Raises OrderValidationError (400), TradingStopped (409), DuplicateClientOrderId (409), or
    RiskRejected (422, the order kept as `rejected`; `details.order_id`, `details.violations`).
    """
    instrument, reference, intent = _order_draft(
        account=account,
        symbol=symbol,
        side=side,
        order_type=order_type,
        time_in_force=time_in_force,
        quantity=quantity,
        limit_price=limit_price,
        stop_price=stop_price,
        expire_at=expire_at,
        stop_loss=stop_loss,
        is_close=is_close,
    )
    with transaction.atomic():
        # The balance row lock serializes an account's buys, so the buying-power check and the
        # lock it guards cannot interleave with another order's.
        balance = balance_get_for_update(account_id=account.pk, currency=instrument.currency)
        limits = risk_limits_read(account_id=account.pk)
        trading_gate(intent=intent, limits=limits)
        terms = _terms(instrument=instrument, intent=intent, reference=reference, limits=limits)
        data: dict[str, Any] = {"note": note} if note else {}
        if is_close:
            data["close"] = True
            placeable = _affordable(intent=intent, terms=terms, available=balance.available)
            if 0 < placeable < quantity:
                data["unplaced_quantity"] = decimal_text(quantity - placeable)
                quantity = placeable
                intent = replace(intent, quantity=quantity)
        locked = _lock_of(intent, terms)
        intent = replace(intent, lock_amount=locked, available=balance.available)
        violations = pretrade_assess(intent=intent, limits=limits).violations
        # The order is written once, in the state entry leaves it in (submitted, or rejected),
        # with both of its events and both audit rows in one INSERT each: the same records the
        # table's two steps (created, then submitted or rejected) would write one by one.
        if violations:
            event = OrderEventType.REJECTED
            event_data: dict[str, Any] = {"violations": [violation_payload(v) for v in violations]}
        else:
            event = OrderEventType.SUBMITTED
            event_data = {"locked_amount": decimal_text(locked)} if locked else {}
        order = Order(
            client_order_id=client_order_id or uuid.uuid4().hex,
            account_id=account.pk,
            instrument=instrument,
            side=side,
            order_type=order_type,
            time_in_force=time_in_force,
            quantity=quantity,
            limit_price=limit_price,
            stop_price=stop_price,
            expire_at=expire_at,
            stop_loss=stop_loss,
            strategy=strategy or "",
            signal=signal,
            lock_price=terms.lock_price,
            protection_price=terms.protection_price,
            status=order_next_status(status=OrderStatus.NEW, event=event),
        )
        if violations:
            order.reject_code = RiskRejected.code
            order.reject_reason = "; ".join(v.message for v in violations)[:2000]
        else:
            order.locked_amount = locked
        # ON CONFLICT instead of a savepoint around the insert: two statements fewer.
        if not row_insert_unless_taken(order, unique=("account", "client_order_id")):
            raise DuplicateClientOrderId(
                f"client_order_id {order.client_order_id!r} is already used by this account",
                details={"client_order_id": order.client_order_id},
            )
        after = order_snapshot(order)
        created = order_snapshot(_as_created(order))
        rows_insert(
            [
                OrderEvent(
                    order=order,
                    type=OrderEventType.CREATED,
                    status_before="",
                    status_after=OrderStatus.NEW,
                    quantity=quantity,
                    price=limit_price or stop_price,
                    data=data,
                ),
                OrderEvent(
                    order=order,
                    type=event,
                    status_before=OrderStatus.NEW,
                    status_after=order.status,
                    data=event_data,
                ),
            ]
        )
        audit_record_many(
            [
                {
                    "action": "order.created",
                    "object_type": "order",
                    "object_id": order.pk,
                    "after": created,
                    "account_id": account.pk,
                },
                {
                    "action": f"order.{event}",
                    "object_type": "order",
                    "object_id": order.pk,
                    "before": created,
                    "after": after,
                    "account_id": account.pk,
                },
            ]
        )
        order_publish(order=order, event=OrderEventType.CREATED, representation=created)
        order_publish(order=order, event=event, representation=after)
        if not violations:
            balance_lock(balance=balance, amount=locked)
            if locked:
                balance_publish(balance=balance)
            venue_notify(order_id=order.pk, action="submit")
    if violations:
        raise RiskRejected(
            f"Order {order.pk} rejected by pre-trade checks",
            details={
                "order_id": order.pk,
                "violations": [violation_payload(v) for v in violations],
            },
        )
    return order


def order_modify(
    *,
    order_id: int,
    quantity: Decimal | None = None,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    expected_version: int | None = None,
) -> Order:
    """Change quantity/prices of an open or partially filled order in place; return it (version+1).

    The lock is recomputed for the new remaining quantity at the new terms. Raises
    VersionMismatch (412), InvalidOrderTransition (409), OrderValidationError (400),
    TradingStopped (409) or RiskRejected (422); a refusal changes nothing.
    """
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("instrument")
            .get(pk=order_id)
        )
        if expected_version is not None and expected_version != order.version:
            raise VersionMismatch(
                f"Order {order.pk} is at version {order.version}, not {expected_version}",
                details={"version": order.version, "expected": expected_version},
            )
        order_next_status(status=order.status, event=OrderEventType.MODIFIED)
        new_quantity = order.quantity if quantity is None else quantity
        new_limit = order.limit_price if limit_price is None else limit_price
        new_stop = order.stop_price if stop_price is None else stop_price
        instrument = order_validate(
            symbol=order.instrument.symbol,
            side=order.side,
            order_type=order.order_type,
            time_in_force=order.time_in_force,
            quantity=new_quantity,
            limit_price=new_limit if order.order_type in PRICED_BY_LIMIT else limit_price,
            stop_price=new_stop if order.order_type in PRICED_BY_STOP else stop_price,
            expire_at=order.expire_at if order.time_in_force == TimeInForce.GTD else None,
            now=order.created_at if order.time_in_force == TimeInForce.GTD else None,
        )
        if new_quantity <= order.filled_quantity:
            raise OrderValidationError(
                {
                    "quantity": [
                        f"Must be above the filled quantity {decimal_text(order.filled_quantity)}."
                    ]
                }
            )
        reference = order_reference_price(
            instrument=instrument,
            side=order.side,
            order_type=order.order_type,
            limit_price=new_limit,
            stop_price=new_stop,
        )
        intent = order_intent(
            account_id=order.account_id,
            instrument=instrument,
            side=order.side,
            order_type=order.order_type,
            quantity=new_quantity - order.filled_quantity,
            limit_price=new_limit,
            stop_price=new_stop,
            stop_loss=order.stop_loss,
            reference_price=reference,
            exclude_order_id=order.pk,
        )
        trading_gate(intent=intent)
        balance = balance_get_for_update(account_id=order.account_id, currency=instrument.currency)
        limits = risk_limits_read(account_id=order.account_id)
        if order.order_type == OrderType.MARKET:
            # A market order's terms come from the quote at entry; a modify keeps them.
            terms = OrderTerms(lock_price=order.lock_price, protection_price=order.protection_price)
        else:
            terms = _terms(instrument=instrument, intent=intent, reference=reference, limits=limits)
        locked = _lock_of(intent, terms)
        # The order's own lock is given back first: it only has to afford the difference.
        intent = replace(
            intent, lock_amount=locked, available=balance.available + order.locked_amount
        )
        violations = pretrade_assess(intent=intent, limits=limits).violations
        if violations:
            raise RiskRejected(
                f"Modification of order {order.pk} rejected by pre-trade checks",
                details={
                    "order_id": order.pk,
                    "violations": [violation_payload(v) for v in violations],
                },
            )
        before = order_snapshot(order)
        delta = locked - order.locked_amount
        balance_lock(balance=balance, amount=delta)
        changes = {
            name: decimal_text(value)
            for name, value in (
                ("quantity", quantity),
                ("limit_price", limit_price),
                ("stop_price", stop_price),
            )
            if value is not None
        }
        order.quantity = new_quantity
        order.limit_price = new_limit
        order.stop_price = new_stop
        order.lock_price = terms.lock_price
        order.protection_price = terms.protection_price
        order.locked_amount = locked
        order.version += 1
        order_transition(
            order=order,
            event=OrderEventType.MODIFIED,
            before=before,
            fields=[
                "quantity",
                "limit_price",
                "stop_price",
                "lock_price",
                "protection_price",
                "locked_amount",
                "version",
            ],
            quantity=new_quantity,
            price=new_limit or new_stop,
            data=changes,
        )
        if delta:
            balance_publish(balance=balance)
        venue_notify(order_id=order.pk, action="modify")
    return order
