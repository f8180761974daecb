"""Leader election: exactly one engine runs; a standby takes over when the leader dies."""

import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


class PostgresAdvisoryLock:
    """Session-level advisory lock on a dedicated connection.

    The lock lives as long as the connection: if the process dies, PostgreSQL drops the
    connection and releases the lock, so a standby's next attempt succeeds.
    """

    def __init__(self, *, key: int, conninfo: str):
        self.key = key
        self.conninfo = conninfo
        self._conn: Any = None

    def try_acquire(self) -> bool:
        """Return True if this process now holds the lock."""
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.conninfo, autocommit=True)
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        return bool(row[0])

    def is_held(self) -> bool:
        """Return True while the lock's connection is alive (a lost connection loses the lock)."""
        import psycopg

        if self._conn is None or self._conn.closed:
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def release(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()
        self._conn = None


class FileLock:
    """Exclusive `flock` on a file beside the SQLite database (embedded mode, one machine)."""

    def __init__(self, *, path: Path):
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Return True if this process now holds the lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def is_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def leader_lock_for_database():
    """Return the leader lock that fits the configured database."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        from django.db import connection
        from psycopg.conninfo import make_conninfo

        params = connection.get_connection_params()
        wanted = {"dbname", "user", "password", "host", "port", "sslmode"}
        conninfo = make_conninfo(**{k: v for k, v in params.items() if k in wanted and v})
        return PostgresAdvisoryLock(key=settings.ENGINE_LEADER_LOCK_KEY, conninfo=conninfo)
    return FileLock(path=Path(str(db["NAME"]) + ".engine.lock"))
