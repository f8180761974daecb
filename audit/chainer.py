"""A per-process thread that extends the audit chain shortly after rows commit (PostgreSQL)."""

import logging
import threading
from collections.abc import Callable

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


class Chainer:
    """Runs `settle` on its own thread when woken and at least every `interval_s` seconds.

    Woken after each commit that wrote audit rows; the periodic pass also chains rows whose
    writer died between its commit and its wake-up, whichever process wrote them. A woken pass
    starts `coalesce_s` after the wake, so the commits of that moment share one pass: a pass
    costs about the same for one row as for fifty.
    """

    def __init__(
        self,
        *,
        settle: Callable[[], None],
        interval_s: Callable[[], float],
        coalesce_s: Callable[[], float] = lambda: 0.0,
    ):
        self.settle = settle
        self.interval_s = interval_s
        self.coalesce_s = coalesce_s
        self._pause = threading.Event()  # never set: a pause the thread cannot be woken from
        self._wake = threading.Event()
        self._started = False
        self._lock = threading.Lock()

    def wake(self) -> None:
        """Ask for a pass soon; starts the thread on first use."""
        if not self._started:
            with self._lock:
                if not self._started:
                    threading.Thread(target=self._run, name="audit-chainer", daemon=True).start()
                    self._started = True
        self._wake.set()

    def _run(self) -> None:
        while True:
            if self._wake.wait(timeout=self.interval_s()):
                self._pause.wait(timeout=self.coalesce_s())
            self._wake.clear()
            try:
                self.settle()
            except DatabaseError:
                logger.exception("audit chainer pass failed; the next pass retries")
                connection.close()
