"""Engine component "deployments": runs every running deployment on the bars the feed closes."""

import asyncio
import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from deployments.trading import TRANSIENT_ERRORS, deployments_run
from engine.runner import cancellation_checkpoint
from engine.sync import SyncWorker

logger = logging.getLogger(__name__)


class DeploymentRunner:
    """Every DEPLOYMENT_POLL_INTERVAL_S, one pass of `deployments_run` on its worker thread.

    It keeps nothing between passes, so a restarted engine picks up where the database says.
    """

    name = "deployments"

    def __init__(self, *, interval_s: float | None = None):
        self.interval_s = (
            interval_s if interval_s is not None else settings.DEPLOYMENT_POLL_INTERVAL_S
        )
        self.passes = 0
        self.last = {"ran": 0, "held": 0, "idle": 0, "failed": 0}
        self.last_pass_at: datetime | None = None
        self.is_up = False
        self._worker = SyncWorker("deployments")

    def status(self) -> dict[str, Any]:
        """Return the component's state for the engine heartbeat (JSON-able)."""
        return {
            "state": "up" if self.is_up else "down",
            "passes": self.passes,
            "running": sum(self.last[k] for k in ("ran", "idle")),
            "last_pass_at": self.last_pass_at.isoformat() if self.last_pass_at else None,
        }

    async def step(self) -> dict[str, int]:
        """Run one pass; return its counts."""
        counts = await self._worker.call(deployments_run)
        self.passes += 1
        self.last = counts
        self.last_pass_at = timezone.now()
        return counts

    async def run(self, engine: Any) -> None:
        """Pass after pass until cancelled; transient failures are retried on the next pass."""
        self.is_up = True
        try:
            while True:
                cancellation_checkpoint()
                try:
                    await self.step()
                except TRANSIENT_ERRORS:
                    logger.exception("deployments pass failed; retrying on the next one")
                await asyncio.sleep(self.interval_s)
        finally:
            self.is_up = False
            self._worker.shutdown()
