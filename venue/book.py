"""The paper venue's book kept in step with the orders table: synchronous, one thread, the ORM.

`PaperVenue` (the engine component) runs these methods on its worker thread; tests and the
money harness call them directly. Every outcome goes through the order services under the
venue's epoch, so a venue that has lost its leadership books nothing.
"""

import logging
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError

from kernel.errors import ApplicationError
from orders import services
from orders.enums import WORKING_STATUSES, OrderStatus
from orders.errors import VenueFenced
from orders.models import Order
from orders.pricing import fee_rates
from orders.selectors import order_working_list
from orders.services.venue import venue_epoch_begin
from venue.matching import (
    Accept,
    Action,
    Cancel,
    Expire,
    Fill,
    InstrumentTerms,
    MatchingEngine,
    Trigger,
    VenueOrder,
)

logger = logging.getLogger(__name__)

# An action refused or failed for one of these takes its order off the book until it is reloaded
# from the database; anything else is a bug and stops the engine (the supervisor restarts it).
ORDER_ERRORS = (ApplicationError, DatabaseError, ObjectDoesNotExist)


def terms_of(instrument: Any) -> InstrumentTerms:
    """Return what matching needs of an instrument, with the fee rates order entry reserves."""
    rates = fee_rates(symbol=instrument.symbol)
    return InstrumentTerms(
        symbol=instrument.symbol,
        tick_size=instrument.tick_size.normalize(),
        lot_size=instrument.lot_size.normalize(),
        currency=instrument.currency,
        maker_fee_rate=rates.maker,
        taker_fee_rate=rates.taker,
    )


def venue_order_of(order: Any) -> VenueOrder:
    """Return the venue's copy of an order row (its matching fields and version)."""
    return VenueOrder(
        order_id=order.id,
        symbol=order.instrument.symbol,
        side=order.side,
        order_type=order.order_type,
        time_in_force=order.time_in_force,
        quantity=order.quantity,
        filled_quantity=order.filled_quantity,
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        expire_at=order.expire_at,
        created_at=order.created_at,
        is_accepted=order.status != OrderStatus.PENDING,
        is_triggered=order.triggered_at is not None,
        version=order.version,
        protection_price=order.protection_price,
    )


Loaded = tuple[VenueOrder, InstrumentTerms, str]


def matching_from_settings() -> MatchingEngine:
    """Return a matching core with the configured slippage and session close."""
    hours, minutes = (int(part) for part in settings.VENUE_SESSION_CLOSE_UTC.split(":"))
    return MatchingEngine(
        slippage_bps=Decimal(str(settings.VENUE_SLIPPAGE_BPS)), session_close=time(hours, minutes)
    )


def working_load(*, order_ids: list[int] | None = None) -> list[Loaded]:
    """Return (venue order, terms, status) of working orders: all, or those of `order_ids`."""
    if order_ids is None:
        orders = list(order_working_list())
    else:
        orders = list(
            Order.objects.select_related("instrument")
            .filter(id__in=order_ids, status__in=WORKING_STATUSES)
            .order_by("id")
        )
    return [(venue_order_of(o), terms_of(o.instrument), o.status) for o in orders]


# (version, filled quantity, triggered, status): what tells the venue's copy is out of date.
WorkingState = tuple[int, Decimal, bool, str]


def working_states() -> dict[int, WorkingState]:
    """Return {order id: (version, filled quantity, triggered, status)} of every working order."""
    rows = Order.objects.filter(status__in=list(WORKING_STATUSES)).values_list(
        "id", "version", "filled_quantity", "triggered_at", "status"
    )
    return {
        order_id: (version, filled, triggered_at is not None, status)
        for order_id, version, filled, triggered_at, status in rows
    }


class VenueBook:
    """A MatchingEngine and the database's working orders, reconciled; call from one thread.

    `start` takes a new venue epoch (fencing any earlier venue) and loads the book. Matching
    outcomes are applied at once through the order services; an order whose action fails is
    reloaded from the database, once.
    """

    def __init__(self, *, matching: MatchingEngine | None = None):
        self.matching = matching or matching_from_settings()
        self.epoch: int | None = None
        self.fills = 0

    def start(self, *, holder: str) -> int:
        """Take a new venue epoch for `holder` and load every working order; return the epoch."""
        self.epoch = venue_epoch_begin(holder=holder)
        self.sweep()
        return self.epoch

    def sweep(self) -> int:
        """Reconcile with the database's working orders; return how many were (re)loaded.

        New or changed orders (version, status, filled quantity, trigger) are loaded, orders no
        longer working are dropped, orders awaiting cancel are canceled. The comparison reads
        five columns of each working order; only the orders that differ are loaded whole, so a
        book of thousands of resting orders costs one light query per sweep.
        """
        states = working_states()
        for order_id in [oid for oid in self.matching.orders if oid not in states]:
            self.matching.remove(order_id)
        changed = sorted(
            order_id
            for order_id, state in states.items()
            if state[3] == OrderStatus.PENDING_CANCEL or self._differs_state(order_id, state)
        )
        if not changed:
            return 0
        loaded = working_load(order_ids=changed)
        self._upsert(loaded)
        return len(loaded)

    def reload(self, *, order_id: int) -> None:
        """Take a hand-off: reload one order from the database (or drop it if it is done)."""
        loaded = working_load(order_ids=[order_id])
        if not loaded:
            self.matching.remove(order_id)
            return
        self._upsert(loaded)

    def step(self, *, quotes: list[Any], now: datetime) -> list[Action]:
        """Expire due orders, match `quotes` (the newest per symbol); return the actions taken."""
        actions = self.matching.expire_due(now=now)
        for quote in quotes:
            actions += self.matching.match(quote)
        self._apply(actions)
        return actions

    def _differs_state(self, order_id: int, state: WorkingState) -> bool:
        current = self.matching.orders.get(order_id)
        version, filled_quantity, is_triggered, status = state
        return current is None or (
            current.version,
            current.filled_quantity,
            current.is_triggered,
            current.is_accepted,
        ) != (version, filled_quantity, is_triggered, status != OrderStatus.PENDING)

    def _upsert(self, loaded: list[Loaded]) -> None:
        actions: list[Action] = []
        for venue_order, terms, status in loaded:
            self.matching.set_terms(terms)
            if status == OrderStatus.PENDING_CANCEL:
                # The owner asked to cancel: the venue confirms (fills so far stay).
                self.matching.remove(venue_order.order_id)
                actions.append(Cancel(venue_order.order_id, "canceled"))
                continue
            current = self.matching.orders.get(venue_order.order_id)
            # Modified since the venue last saw it: it competes afresh (a taker if it crosses).
            is_fresh = current is not None and current.version != venue_order.version
            actions += self.matching.add(venue_order, is_fresh=is_fresh)
        self._apply(actions)

    def _apply(self, actions: list[Action]) -> None:
        if not actions:
            return
        failed = self._actions_apply(actions)
        if not failed:
            return
        for order_id in failed:
            self.matching.remove(order_id)
        # Only what the database still shows working comes back; one round, no retry loop.
        for venue_order, terms, status in working_load(order_ids=sorted(failed)):
            self.matching.set_terms(terms)
            if status != OrderStatus.PENDING_CANCEL:
                self._actions_apply(self.matching.add(venue_order, is_fresh=True))

    def _actions_apply(self, actions: list[Action]) -> set[int]:
        """Apply actions through the order services; return the ids of orders that failed.

        After an order's first failure its later actions are skipped: the venue reloads it.
        Raises VenueFenced when another venue has taken over: this one must stop.
        """
        failed: set[int] = set()
        for action in actions:
            if action.order_id in failed:
                continue
            try:
                if not self._action_apply(action):
                    failed.add(action.order_id)
            except VenueFenced:
                raise
            except ORDER_ERRORS as error:
                logger.warning("venue action %r failed: %s", action, error)
                failed.add(action.order_id)
        return failed

    def _action_apply(self, action: Action) -> bool:
        epoch = self.epoch
        if isinstance(action, Fill):
            fill = services.order_apply_fill(
                order_id=action.order_id,
                venue_exec_id=action.venue_exec_id,
                quantity=action.quantity,
                price=action.price,
                fee=action.fee,
                fee_currency=action.fee_currency,
                liquidity=action.liquidity,
                executed_at=action.executed_at,
                order_version=action.order_version,
                epoch=epoch,
            )
            if fill is None or fill.quantity != action.quantity:
                # Already applied (before a restart), or cut to what the cash pays: the copy
                # is stale and the database says what is left.
                if fill is not None:
                    self.fills += 1
                return False
            self.fills += 1
        elif isinstance(action, Accept):
            services.order_accept(order_id=action.order_id, epoch=epoch)
        elif isinstance(action, Trigger):
            services.order_stop_trigger(
                order_id=action.order_id, triggered_at=action.triggered_at, epoch=epoch
            )
        elif isinstance(action, Cancel):
            services.order_cancel_by_venue(
                order_id=action.order_id, reason=action.reason, epoch=epoch
            )
        elif isinstance(action, Expire):
            services.order_expire(order_id=action.order_id, epoch=epoch)
        return True
