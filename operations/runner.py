"""Running an operation's job in a task: start, checkpoints (heartbeat, progress, cancel), end."""

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from kernel.errors import ApplicationError
from operations.errors import OperationAbandoned, OperationCancelled
from operations.services import (
    OPERATION_FAILED,
    operation_complete,
    operation_fail,
    operation_progress_record,
    operation_start,
    operation_stopped,
)

logger = logging.getLogger(__name__)


def worker_name() -> str:
    """Return "<host>:<pid>" of this process, the name an operation records for its worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Checkpoint:
    """Called by a job as it works: heartbeats, records progress, and stops it when asked.

    A call writes (heartbeat, progress, one `operation.progress` event) at most once per
    `interval_s` (OPERATION_PROGRESS_INTERVAL_S, 100 ms) counted from the start, so a job may
    call it as often as it likes; a call in between only remembers the metrics. Raises
    OperationCancelled
    (with the latest metrics) when a cancel was requested, OperationAbandoned when the operation
    is no longer running. `clock` is injectable for tests.
    """

    def __init__(
        self,
        *,
        operation_id: int,
        interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.operation_id = operation_id
        self.interval_s = (
            settings.OPERATION_PROGRESS_INTERVAL_S if interval_s is None else interval_s
        )
        self.clock = clock
        self.metrics: dict[str, Any] | None = None
        self.writes = 0
        # The start itself was published: the first write waits a full interval after it.
        self._last = clock()

    def __call__(
        self,
        *,
        items_done: int,
        items_total: int | None = None,
        phase: str | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        if metrics is not None:
            self.metrics = metrics
        now = self.clock()
        if now - self._last < self.interval_s:
            return
        self._last = now
        self.writes += 1
        ack = operation_progress_record(
            operation_id=self.operation_id,
            items_done=items_done,
            items_total=items_total,
            phase=phase,
            metrics=metrics,
        )
        if not ack.is_running:
            raise OperationAbandoned
        if ack.is_cancel_requested:
            raise OperationCancelled(self.metrics)


@dataclass
class Outcome:
    """What a job returns: its result and final metrics."""

    result: Any
    metrics: dict[str, Any] = field(default_factory=dict)


def operation_run(
    *, operation_id: int, job: Callable[[Checkpoint], Outcome], worker: str | None = None
) -> str:
    """Run `job` as the operation's work and record how it ended; never raises.

    Returns "completed", "failed", "cancelled", "skipped" (not startable: finished already, or
    alive on another worker) or "abandoned". A job's ApplicationError keeps its code; any other
    exception is OPERATION_FAILED with its type and message.
    """
    operation = operation_start(operation_id=operation_id, worker=worker or worker_name())
    if operation is None:
        return "skipped"
    checkpoint = Checkpoint(operation_id=operation_id)
    try:
        outcome = job(checkpoint)
    except OperationCancelled as stop:
        operation_stopped(operation_id=operation_id, metrics=stop.metrics)
        return "cancelled"
    except OperationAbandoned:
        logger.warning("operation %s stopped running elsewhere; task abandoned", operation_id)
        return "abandoned"
    except ApplicationError as error:
        operation_fail(
            operation_id=operation_id,
            code=error.code,
            message=error.message,
            details=error.details,
            metrics=checkpoint.metrics,
        )
        return "failed"
    except Exception as error:
        logger.exception("operation %s failed", operation_id)
        operation_fail(
            operation_id=operation_id,
            code=OPERATION_FAILED,
            message=f"{type(error).__name__}: {error}",
            metrics=checkpoint.metrics,
        )
        return "failed"
    operation_complete(operation_id=operation_id, result=outcome.result, metrics=outcome.metrics)
    return "completed"
