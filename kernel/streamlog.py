"""Per-account event sequence numbers and the bounded replay window behind `resume`.

Each account stream (`orders` of account 7, ...) numbers its events 1, 2, 3, ... and keeps the
newest `STREAM_REPLAY_WINDOW` of them. Services mode: a Redis counter and a Redis Stream, written
together by one Lua script, so seq order is stream order whichever process publishes. Embedded
mode: a counter and a ring (deque) in the process, under a lock.
"""

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import redis
from django.conf import settings


@dataclass(frozen=True)
class Replay:
    """What the window holds after `since_seq`: the events, or `complete=False` past the window."""

    complete: bool
    events: list[tuple[int, dict[str, Any]]]
    current_seq: int


class StreamLog(Protocol):
    def append(self, *, account_id: int, stream: str, event: dict[str, Any]) -> int: ...

    def current_seq(self, *, account_id: int, stream: str) -> int: ...

    def replay(self, *, account_id: int, stream: str, since_seq: int) -> Replay: ...


def _replay_from(
    entries: list[tuple[int, dict[str, Any]]], *, since_seq: int, current: int
) -> Replay:
    """Decide from the window's entries (oldest first) whether it covers everything after since."""
    if since_seq > current:
        # The client saw a seq the server never issued (the log was wiped): start again.
        return Replay(complete=False, events=[], current_seq=current)
    if since_seq == current:
        return Replay(complete=True, events=[], current_seq=current)
    oldest = entries[0][0] if entries else current + 1
    if oldest > since_seq + 1:
        return Replay(complete=False, events=[], current_seq=current)
    wanted = [(seq, event) for seq, event in entries if seq > since_seq]
    return Replay(complete=True, events=wanted, current_seq=current)


class MemoryStreamLog:
    """The embedded window: one counter and one ring per account stream, in this process."""

    def __init__(self, *, window: int):
        self.window = window
        self._lock = threading.Lock()
        self._seq: dict[tuple[int, str], int] = {}
        self._rings: dict[tuple[int, str], deque[tuple[int, dict[str, Any]]]] = {}

    def append(self, *, account_id: int, stream: str, event: dict[str, Any]) -> int:
        key = (account_id, stream)
        with self._lock:
            seq = self._seq.get(key, 0) + 1
            self._seq[key] = seq
            self._rings.setdefault(key, deque(maxlen=self.window)).append((seq, event))
        return seq

    def current_seq(self, *, account_id: int, stream: str) -> int:
        with self._lock:
            return self._seq.get((account_id, stream), 0)

    def replay(self, *, account_id: int, stream: str, since_seq: int) -> Replay:
        key = (account_id, stream)
        with self._lock:
            current = self._seq.get(key, 0)
            entries = list(self._rings.get(key, ()))
        return _replay_from(entries, since_seq=since_seq, current=current)


# INCR and XADD in one script: no other publisher can slip between numbering and appending, so
# the stream is in seq order and an event is in the window before anyone can receive it. A stream
# idle for `ttl_s` is forgotten: its seq starts over, and a client resuming then is resynced.
_APPEND_SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], seq .. '-0', 'e', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return seq
"""


class RedisStreamLog:
    """The services window: `<prefix>:seq:<account>:<stream>` and a capped Redis Stream."""

    def __init__(self, *, url: str, prefix: str, window: int, ttl_s: int = 7 * 86400):
        self.window = window
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self._append = self.client.register_script(_APPEND_SCRIPT)

    def _keys(self, account_id: int, stream: str) -> tuple[str, str]:
        base = f"{self.prefix}:{account_id}:{stream}"
        return f"{base}:seq", f"{base}:events"

    def append(self, *, account_id: int, stream: str, event: dict[str, Any]) -> int:
        seq_key, events_key = self._keys(account_id, stream)
        arguments: list[bytes | int] = [orjson.dumps(event), self.window, self.ttl_s]
        return int(self._append(keys=[seq_key, events_key], args=arguments))

    def current_seq(self, *, account_id: int, stream: str) -> int:
        seq_key, _ = self._keys(account_id, stream)
        return int(self.client.get(seq_key) or 0)

    def replay(self, *, account_id: int, stream: str, since_seq: int) -> Replay:
        seq_key, events_key = self._keys(account_id, stream)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.get(seq_key)
            pipe.xrange(events_key, min="-", max="+", count=1)
            pipe.xrange(events_key, min=f"{since_seq + 1}-0", max="+")
            current_raw, oldest, wanted = pipe.execute()
        current = int(current_raw or 0)
        entries = [(_seq_of(entry_id), orjson.loads(fields[b"e"])) for entry_id, fields in wanted]
        if oldest and (not entries or _seq_of(oldest[0][0]) < entries[0][0]):
            entries.insert(0, (_seq_of(oldest[0][0]), {}))
        return _replay_from(entries, since_seq=since_seq, current=current)


def _seq_of(entry_id: bytes) -> int:
    return int(entry_id.split(b"-")[0])


_log: StreamLog | None = None
_log_lock = threading.Lock()


def stream_log() -> StreamLog:
    """Return the process's log: Redis when REDIS_URL is set, else the in-memory ring."""
    global _log
    with _log_lock:
        if _log is None:
            window = settings.STREAM_REPLAY_WINDOW
            if settings.REDIS_URL:
                _log = RedisStreamLog(
                    url=settings.REDIS_URL,
                    prefix=settings.STREAM_LOG_PREFIX,
                    window=window,
                    ttl_s=settings.STREAM_LOG_TTL_S,
                )
            else:
                _log = MemoryStreamLog(window=window)
        return _log


def stream_log_reset() -> None:
    """Forget the process's log (tests that change the settings it was built from)."""
    global _log
    with _log_lock:
        _log = None
