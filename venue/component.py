"""Engine component "paper_venue": fills working orders against the simulated market."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError
from redis.exceptions import RedisError

from engine.runner import cancellation_checkpoint
from engine.sync import SyncWorker
from orders.enums import OrderStatus
from orders.events import VENUE_CHANNEL
from trading_api.errors import ApplicationError
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
    fee_rates,
)

logger = logging.getLogger(__name__)

# An action refused or failed for one of these takes its order off the book until it is reloaded
# from the database; anything else is a bug and stops the engine (the supervisor restarts it).
_ORDER_ERRORS = (ApplicationError, DatabaseError, ObjectDoesNotExist)
_TRANSIENT_ERRORS = (DatabaseError, RedisError, OSError)
# How often the loop wakes without quotes, so day/gtd orders expire on time on a quiet market.
_IDLE_WAKE_S = 1.0


def _terms_of(instrument: Any) -> InstrumentTerms:
    maker, taker = fee_rates(fees=settings.VENUE_FEES, symbol=instrument.symbol)
    return InstrumentTerms(
        symbol=instrument.symbol,
        tick_size=instrument.tick_size.normalize(),
        lot_size=instrument.lot_size.normalize(),
        currency=instrument.currency,
        maker_fee_rate=maker,
        taker_fee_rate=taker,
    )


def _venue_order(order: Any) -> VenueOrder:
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
    )


def _snapshot(orders: list[Any]) -> list[tuple[VenueOrder, InstrumentTerms, str]]:
    return [(_venue_order(o), _terms_of(o.instrument), o.status) for o in orders]


def _working_load(*, order_ids: list[int] | None = None) -> list[tuple[Any, ...]]:
    """Return (venue order, terms, status) of working orders: all, or those of `order_ids`."""
    from orders.enums import WORKING_STATUSES
    from orders.models import Order
    from orders.selectors import order_working_list

    if order_ids is None:
        return _snapshot(list(order_working_list()))
    orders = Order.objects.select_related("instrument").filter(
        id__in=order_ids, status__in=WORKING_STATUSES
    )
    return _snapshot(list(orders.order_by("id")))


def _actions_apply(*, actions: list[Action]) -> tuple[int, set[int]]:
    """Apply matching actions through the order services; return (fills applied, failed ids).

    After an order's first failure its later actions are skipped: the venue reloads it.
    """
    from orders import services

    applied, failed = 0, set()
    for action in actions:
        if action.order_id in failed:
            continue
        try:
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
                )
                if fill is None:
                    # Already applied (another engine, or before a restart): this copy is stale.
                    failed.add(action.order_id)
                else:
                    applied += 1
            elif isinstance(action, Accept):
                services.order_accept(order_id=action.order_id)
            elif isinstance(action, Trigger):
                services.order_stop_trigger(
                    order_id=action.order_id, triggered_at=action.triggered_at
                )
            elif isinstance(action, Cancel):
                services.order_cancel_by_venue(order_id=action.order_id, reason=action.reason)
            elif isinstance(action, Expire):
                services.order_expire(order_id=action.order_id)
        except _ORDER_ERRORS as error:
            logger.warning("venue action %r failed: %s", action, error)
            failed.add(action.order_id)
    return applied, failed


class PaperVenue:
    """Engine component "paper_venue": a MatchingEngine kept in step with the orders table.

    Orders arrive by hand-off messages on VENUE_CHANNEL and by a periodic sweep of the database
    (which also catches lost messages and orders entered while the engine was down); quotes
    arrive from the market-data feed's tick listener. Every outcome is applied through the order
    services; fills carry execution ids derived from the order's filled quantity, so a replay
    cannot fill twice.
    """

    name = "paper_venue"

    def __init__(
        self,
        *,
        channel_layer: Any = None,
        clock: Callable[[], datetime] | None = None,
        sweep_interval_s: float | None = None,
    ):
        hours, minutes = (int(part) for part in settings.VENUE_SESSION_CLOSE_UTC.split(":"))
        self.matching = MatchingEngine(
            slippage_bps=Decimal(str(settings.VENUE_SLIPPAGE_BPS)),
            session_close=time(hours, minutes),
        )
        self.channel_layer = channel_layer
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sweep_interval_s = (
            sweep_interval_s if sweep_interval_s is not None else settings.VENUE_SWEEP_INTERVAL_S
        )
        self.is_up = False
        self.fills = 0
        self.last_match_at: datetime | None = None
        self._quotes: dict[str, Any] = {}
        self._quoted = asyncio.Event()
        self._lock = asyncio.Lock()
        self._worker = SyncWorker("paper-venue")

    def status(self) -> dict[str, Any]:
        """Return the component's state for the engine heartbeat (JSON-able)."""
        return {
            "state": "up" if self.is_up else "down",
            "working_orders": len(self.matching),
            "fills": self.fills,
            "last_match_at": self.last_match_at.isoformat() if self.last_match_at else None,
        }

    async def on_ticks(self, ticks: list[Any]) -> None:
        """Feed tick listener: keep the newest quote per symbol for the next step."""
        for tick in ticks:
            self._quotes[tick.quote.symbol] = tick.quote
        self._quoted.set()

    async def start(self) -> None:
        """Attach the channel layer and load every working order from the database."""
        if self.channel_layer is None:
            self.channel_layer = get_channel_layer()
        await self.sweep()
        self.is_up = True

    async def sweep(self) -> int:
        """Reconcile the book with the database's working orders; return how many were (re)loaded.

        New or changed orders (version, status, filled quantity, trigger) are loaded, orders no
        longer working are dropped, orders awaiting cancel are canceled.
        """
        async with self._lock:
            loaded = await self._worker.call(_working_load)
            seen = {venue_order.order_id for venue_order, _, _ in loaded}
            for order_id in [oid for oid in self.matching.orders if oid not in seen]:
                self.matching.remove(order_id)
            changed = [
                entry for entry in loaded if self._differs(entry[0]) or entry[2] == "pending_cancel"
            ]
            await self._upsert(changed)
            return len(changed)

    def _differs(self, venue_order: VenueOrder) -> bool:
        current = self.matching.orders.get(venue_order.order_id)
        return current is None or (
            current.version,
            current.filled_quantity,
            current.is_triggered,
            current.is_accepted,
        ) != (
            venue_order.version,
            venue_order.filled_quantity,
            venue_order.is_triggered,
            venue_order.is_accepted,
        )

    async def _upsert(self, loaded: list[tuple[VenueOrder, InstrumentTerms, str]]) -> None:
        actions: list[Action] = []
        for venue_order, terms, status in loaded:
            self.matching.set_terms(terms)
            if status == OrderStatus.PENDING_CANCEL:
                # The owner asked to cancel: the venue confirms (fills so far stay).
                self.matching.remove(venue_order.order_id)
                actions.append(Cancel(venue_order.order_id, "canceled"))
            else:
                actions += self.matching.add(venue_order)
        await self._apply(actions)

    async def _apply(self, actions: list[Action]) -> None:
        if not actions:
            return
        applied, failed = await self._worker.call(_actions_apply, actions=actions)
        self.fills += applied
        if failed:
            for order_id in failed:
                self.matching.remove(order_id)
            try:
                reloaded = await self._worker.call(_working_load, order_ids=sorted(failed))
            except _TRANSIENT_ERRORS:
                logger.exception("could not reload orders %s; the sweep will", sorted(failed))
                return
            # Only what the database still shows working comes back; one round, no retry loop.
            for venue_order, terms, status in reloaded:
                self.matching.set_terms(terms)
                if status != OrderStatus.PENDING_CANCEL:
                    await self._worker.call(_actions_apply, actions=self.matching.add(venue_order))

    async def handle_message(self, message: dict[str, Any]) -> None:
        """Take a hand-off {"type": "venue.order", "order_id", "action"}: reload that order."""
        order_id = message.get("order_id")
        if not isinstance(order_id, int):
            logger.warning("venue message without an order id: %r", message)
            return
        async with self._lock:
            loaded = await self._worker.call(_working_load, order_ids=[order_id])
            if not loaded:
                self.matching.remove(order_id)
                return
            await self._upsert(loaded)

    async def step(self, *, now: datetime | None = None) -> list[Action]:
        """Expire due orders, match the quotes received since the last step; return the actions."""
        now = now or self.clock()
        async with self._lock:
            quotes, self._quotes = self._quotes, {}
            actions = self.matching.expire_due(now=now)
            for quote in quotes.values():
                actions += self.matching.match(quote)
            if quotes:
                self.last_match_at = now
            await self._apply(actions)
        return actions

    async def _receive(self) -> None:
        while True:
            cancellation_checkpoint()
            try:
                message = await self.channel_layer.receive(VENUE_CHANNEL)
            except _TRANSIENT_ERRORS:
                # A dropped Redis connection must not end the hand-off loop; the sweep covers
                # whatever arrives meanwhile.
                logger.exception("venue hand-off receive failed; retrying")
                await asyncio.sleep(_IDLE_WAKE_S)
                continue
            try:
                await self.handle_message(message)
            except _TRANSIENT_ERRORS:
                logger.exception("venue hand-off failed; the sweep will pick the order up")

    async def _sweep_forever(self) -> None:
        while True:
            cancellation_checkpoint()
            await asyncio.sleep(self.sweep_interval_s)
            try:
                await self.sweep()
            except _TRANSIENT_ERRORS:
                logger.exception("venue sweep failed; retrying")

    async def run(self, engine: Any) -> None:
        """Match on every market tick until cancelled; hand-offs and sweeps run alongside."""
        feed = next((c for c in engine.components if c.name == "market_data"), None)
        if feed is None:
            logger.warning("paper venue has no market_data component: nothing will fill")
        else:
            feed.tick_listeners.append(self.on_ticks)
        helpers: list[asyncio.Task] = []
        try:
            while not self.is_up:
                try:
                    await self.start()
                except _TRANSIENT_ERRORS:
                    logger.exception("paper venue could not load working orders; retrying")
                    await asyncio.sleep(self.sweep_interval_s)
            logger.info("paper venue up (%d working orders)", len(self.matching))
            helpers = [
                asyncio.create_task(self._receive(), name="venue:receive"),
                asyncio.create_task(self._sweep_forever(), name="venue:sweep"),
            ]
            while True:
                cancellation_checkpoint()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._quoted.wait(), timeout=_IDLE_WAKE_S)
                self._quoted.clear()
                for helper in helpers:
                    if helper.done():
                        # A helper that died on a bug takes the component (and engine) down.
                        helper.result()
                try:
                    await self.step()
                except _TRANSIENT_ERRORS:
                    logger.exception("venue step failed; the sweep reloads the book")
        finally:
            self.is_up = False
            if feed is not None and self.on_ticks in feed.tick_listeners:
                feed.tick_listeners.remove(self.on_ticks)
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            self._worker.shutdown()
