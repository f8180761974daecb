"""Engine component "equity": snapshots every account's equity and evaluates its risk."""

import asyncio
import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Max
from django.utils import timezone
from redis.exceptions import RedisError

from access.models import Account
from control.services import account_risk_step
from engine.runner import cancellation_checkpoint
from engine.sync import SyncWorker
from kernel.errors import ApplicationError
from orders.models import Fill

logger = logging.getLogger(__name__)

_TRANSIENT_ERRORS = (DatabaseError, RedisError, OSError)
# How often the tracker looks for new fills (a cheap indexed max(id)).
_FILL_POLL_S = 1.0


def _last_fill_id() -> int:
    return Fill.objects.aggregate(last=Max("id"))["last"] or 0


def _snapshot_accounts(*, now: datetime, after_fill_id: int | None = None) -> dict[str, Any]:
    """Snapshot and evaluate every account (or those with fills after `after_fill_id`).

    Returns {"accounts": n, "tripped": [ids], "last_fill_id": id}.
    """
    last_fill_id = _last_fill_id()
    accounts = Account.objects.order_by("pk")
    if after_fill_id is not None:
        ids = Fill.objects.filter(id__gt=after_fill_id, id__lte=last_fill_id).values("account_id")
        accounts = accounts.filter(pk__in=ids)
    done, tripped = 0, []
    for account in accounts:
        try:
            status = account_risk_step(account=account, now=now)
        except ApplicationError:
            # One account that cannot be valued (e.g. a position in another currency) must not
            # stop the others from being watched.
            logger.exception("equity snapshot of account %s failed", account.pk)
            continue
        done += 1
        if status["tripped"]:
            tripped.append(account.pk)
    return {"accounts": done, "tripped": tripped, "last_fill_id": last_fill_id}


class EquityTracker:
    """Snapshots all accounts every EQUITY_SNAPSHOT_INTERVAL_S, and accounts with new fills within
    a second of the fill; each snapshot is followed by the drawdown / daily-loss evaluation."""

    name = "equity"

    def __init__(self, *, interval_s: float | None = None):
        self.interval_s = (
            interval_s if interval_s is not None else settings.EQUITY_SNAPSHOT_INTERVAL_S
        )
        self.last_fill_id: int | None = None
        self.snapshots = 0
        self.trips = 0
        self.last_snapshot_at: datetime | None = None
        self._worker = SyncWorker("equity")

    def status(self) -> dict[str, Any]:
        """Return the component's state for the engine heartbeat (JSON-able)."""
        return {
            "snapshots": self.snapshots,
            "trips": self.trips,
            "last_snapshot_at": self.last_snapshot_at.isoformat()
            if self.last_snapshot_at
            else None,
        }

    def _count(self, result: dict[str, Any], now: datetime) -> dict[str, Any]:
        self.snapshots += result["accounts"]
        self.trips += len(result["tripped"])
        self.last_fill_id = result["last_fill_id"]
        self.last_snapshot_at = now
        return result

    async def step(self, *, now: datetime | None = None) -> dict[str, Any]:
        """Snapshot every account now; return {"accounts", "tripped", "last_fill_id"}."""
        now = now or timezone.now()
        result = await self._worker.call(_snapshot_accounts, now=now)
        return self._count(result, now)

    async def fills_step(self, *, now: datetime | None = None) -> dict[str, Any]:
        """Snapshot the accounts with fills since the last look; the first look only notes the
        newest fill."""
        now = now or timezone.now()
        if self.last_fill_id is None:
            self.last_fill_id = await self._worker.call(_last_fill_id)
            return {"accounts": 0, "tripped": [], "last_fill_id": self.last_fill_id}
        last = await self._worker.call(_last_fill_id)
        if last == self.last_fill_id:
            return {"accounts": 0, "tripped": [], "last_fill_id": last}
        result = await self._worker.call(
            _snapshot_accounts, now=now, after_fill_id=self.last_fill_id
        )
        return self._count(result, now)

    async def run(self, engine: Any) -> None:
        """Snapshot on the interval and after fills until cancelled."""
        loop = asyncio.get_running_loop()
        next_full = loop.time()
        try:
            while True:
                cancellation_checkpoint()
                try:
                    if loop.time() >= next_full:
                        next_full = loop.time() + self.interval_s
                        await self.step()
                    else:
                        await self.fills_step()
                except _TRANSIENT_ERRORS:
                    logger.exception("equity snapshot failed; retrying")
                await asyncio.sleep(min(_FILL_POLL_S, self.interval_s))
        finally:
            self._worker.shutdown()
