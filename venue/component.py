"""Engine component "paper_venue": fills working orders against the simulated market."""

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from engine.runner import cancellation_checkpoint
from engine.sync import SyncWorker
from orders.events import VENUE_CHANNEL
from venue.book import VenueBook
from venue.matching import Action, MatchingEngine

logger = logging.getLogger(__name__)

_TRANSIENT_ERRORS = (DatabaseError, RedisError, OSError)
# How often the loop wakes without quotes, so day/gtd orders expire on time on a quiet market.
_IDLE_WAKE_S = 1.0


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
        self.book = VenueBook()
        self.channel_layer = channel_layer
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sweep_interval_s = (
            sweep_interval_s if sweep_interval_s is not None else settings.VENUE_SWEEP_INTERVAL_S
        )
        self.is_up = False
        self.last_match_at: datetime | None = None
        self._quotes: dict[str, Any] = {}
        self._quoted = asyncio.Event()
        self._lock = asyncio.Lock()
        self._worker = SyncWorker("paper-venue")

    @property
    def matching(self) -> MatchingEngine:
        return self.book.matching

    @property
    def fills(self) -> int:
        return self.book.fills

    def status(self) -> dict[str, Any]:
        """Return the component's state for the engine heartbeat (JSON-able)."""
        return {
            "state": "up" if self.is_up else "down",
            "epoch": self.book.epoch,
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
        """Attach the channel layer, take a new venue epoch and load every working order."""
        if self.channel_layer is None:
            self.channel_layer = get_channel_layer()
        holder = f"{socket.gethostname()}:{os.getpid()}"
        async with self._lock:
            await self._worker.call(self.book.start, holder=holder)
        self.is_up = True

    async def sweep(self) -> int:
        """Reconcile the book with the working orders in the database; return how many changed."""
        async with self._lock:
            return await self._worker.call(self.book.sweep)

    async def handle_message(self, message: dict[str, Any]) -> None:
        """Take a hand-off {"type": "venue.order", "order_id", "action"}: reload that order."""
        order_id = message.get("order_id")
        if not isinstance(order_id, int):
            logger.warning("venue message without an order id: %r", message)
            return
        async with self._lock:
            await self._worker.call(self.book.reload, order_id=order_id)

    async def step(self, *, now: datetime | None = None) -> list[Action]:
        """Expire due orders, match the quotes received since the last step; return the actions."""
        now = now or self.clock()
        async with self._lock:
            quotes, self._quotes = self._quotes, {}
            actions = await self._worker.call(self.book.step, quotes=list(quotes.values()), now=now)
            if quotes:
                self.last_match_at = now
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
