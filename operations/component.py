"""Engine component "operations" (embedded mode): the stale-heartbeat check beat runs elsewhere."""

import asyncio
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError

from operations.services import operation_fail_stale

logger = logging.getLogger(__name__)


class StaleOperationWatch:
    """Every OPERATION_STALE_CHECK_INTERVAL_S, fails operations whose worker stopped heartbeating.

    In services mode Celery beat schedules the same check (`operations.operation_fail_stale`);
    embedded mode has no beat, so the engine inside the web process runs it. After a crash of
    the server, the operations it left running are failed once the restarted server has run
    for the heartbeat TTL.
    """

    name = "operations"

    def __init__(self, *, interval_s: float | None = None):
        self.interval_s = (
            settings.OPERATION_STALE_CHECK_INTERVAL_S if interval_s is None else interval_s
        )
        self.checks = 0
        self.failed = 0
        self.last_check_at: float | None = None

    def status(self) -> dict[str, Any]:
        """Return the component's state for the engine heartbeat (JSON-able)."""
        return {"checks": self.checks, "failed": self.failed, "last_check_at": self.last_check_at}

    async def run(self, engine) -> None:
        check = sync_to_async(operation_fail_stale, thread_sensitive=False)
        while True:
            try:
                self.failed += len(await check())
            except DatabaseError:
                logger.exception("stale operation check failed; retrying")
            self.checks += 1
            self.last_check_at = time.time()
            await asyncio.sleep(self.interval_s)
