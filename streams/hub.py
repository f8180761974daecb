"""One channel-layer subscription per group per process, fanned out to the sockets in memory.

With a channel per socket, an event for N sockets costs N channel-layer sends (group_send is
slow per member, channels_redis #83, and drops past a channel's capacity, #62). Here each web
process owns one channel, joins each group once however many of its sockets follow it, and
hands every received message to those sockets directly: an event costs one send per process.

Receiving is sharded over a few channels (a group always on the same one, so its order holds).
On the Redis layer each shard takes what is waiting in one go (`_RedisBatches`): the layer's own
`receive` costs four round trips per message (a clean-up script, a blocking pop, a backup copy
and its removal), which capped a busy process at about a hundred messages a second, and the
hub's channel backed up for seconds (bench/bench_stream.py measures it). Any other layer (the
in-memory one of embedded mode) is read with its `receive`.
"""

import asyncio
import logging
import uuid
import zlib
from typing import Any, Protocol

from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)

# Channels are named "stream-hub.<...>"; the layer's channel_capacity gives them room. They are
# not "!" process-local names: channels_redis serializes all receives of those behind one lock.
HUB_CHANNEL_PREFIX = "stream-hub"
# Groups expire in the layer (channels_redis: a day); the hub re-joins well before.
GROUP_REFRESH_S = 3600.0
# The most messages one shard takes from Redis in one batch (one ZPOPMIN).
RECEIVE_BATCH = 500


class Member(Protocol):
    def hub_deliver(self, message: dict[str, Any]) -> None: ...

    def hub_lost(self) -> None: ...


class Hub:
    """The process's fan-out. `join`/`leave` per socket and group; delivery is synchronous."""

    def __init__(self, layer: Any, *, shards: int = 4):
        self.layer = layer
        self.shards = shards
        self.channels: list[str] = []
        self.members: dict[str, set[Member]] = {}
        # Groups this process's channels are members of in the layer.
        self.joined: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task] = []
        self._refresher: asyncio.Task | None = None
        self._start_lock = asyncio.Lock()
        self.received = 0

    def channel_of(self, group: str) -> str:
        return self.channels[zlib.crc32(group.encode()) % len(self.channels)]

    async def _ensure_started(self) -> None:
        async with self._start_lock:
            if not self._tasks or any(task.done() for task in self._tasks):
                for task in self._tasks:
                    task.cancel()
                self.channels = [
                    f"{HUB_CHANNEL_PREFIX}.{uuid.uuid4().hex}" for _ in range(self.shards)
                ]
                self._tasks = [asyncio.ensure_future(self._run(c)) for c in self.channels]
                self._refresher = asyncio.ensure_future(self._refresh())

    def _lock(self, group: str) -> asyncio.Lock:
        return self._locks.setdefault(group, asyncio.Lock())

    async def join(self, group: str, member: Member) -> None:
        """Deliver `group`'s messages to `member`; raises if the layer is unreachable."""
        await self._ensure_started()
        # Per group, layer joins and leaves happen one at a time: a leave of the last socket
        # racing a join of the next could otherwise land after it and strand the group.
        async with self._lock(group):
            self.members.setdefault(group, set()).add(member)
            if group in self.joined:
                return
            try:
                await self.layer.group_add(group, self.channel_of(group))
            except BaseException:
                members = self.members.get(group, set())
                members.discard(member)
                if not members:
                    self.members.pop(group, None)
                raise
            self.joined.add(group)

    async def leave(self, group: str, member: Member) -> None:
        """Stop delivering `group` to `member`; the process leaves the group with its last one."""
        members = self.members.get(group)
        if members is None:
            return
        members.discard(member)
        if members:
            return
        async with self._lock(group):
            if self.members.get(group) or group not in self.joined:
                return  # someone joined meanwhile, or the layer never had it
            self.members.pop(group, None)
            self.joined.discard(group)
            try:
                await self.layer.group_discard(group, self.channel_of(group))
            except Exception:
                logger.warning("could not leave %s; it expires in the layer", group)

    async def _run(self, channel: str) -> None:
        receive = _RedisBatches(self.layer, channel) if _RedisBatches.fits(self.layer) else None
        while True:
            try:
                if receive is not None:
                    messages = await receive()
                else:
                    messages = [await self.layer.receive(channel)]
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("stream hub lost the channel layer; closing its sockets")
                self._lose_all()
                return
            for message in messages:
                self.received += 1
                for member in list(self.members.get(message.get("group", ""), ())):
                    try:
                        member.hub_deliver(message)
                    except Exception:
                        logger.exception("stream delivery failed")

    def _lose_all(self) -> None:
        members = {member for group in self.members.values() for member in group}
        self.members.clear()
        self.joined.clear()
        for task in [*self._tasks, self._refresher]:
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        for member in members:
            member.hub_lost()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(GROUP_REFRESH_S)
            for group in list(self.members):
                try:
                    await self.layer.group_add(group, self.channel_of(group))
                except Exception:
                    logger.warning("could not refresh the hub's membership of %s", group)


class _RedisBatches:
    """Everything waiting on one hub channel of channels_redis' layer, oldest first.

    The layer keeps a channel as a sorted set scored by send time, named prefix + channel, on
    one host; it sends to a plain (not "!") channel on any of its hosts, so a ring of several
    hosts is read with the layer's `receive` instead. One blocking pop waits for the first
    message, one ZPOPMIN takes what queued behind it: two round trips per batch, however long.
    The layer's backup copy (which lets a cancelled `receive` put its message back) is left
    out: the hub's tasks are cancelled only with the hub, whose sockets close and resume.
    """

    def __init__(self, layer: Any, channel: str):
        self.layer = layer
        self.key = layer.prefix + channel
        self.backlog = False

    @staticmethod
    def fits(layer: Any) -> bool:
        return isinstance(layer, RedisChannelLayer) and layer.ring_size == 1

    async def __call__(self) -> list[dict[str, Any]]:
        connection = self.layer.connection(0)
        raw: list[bytes] = []
        if not self.backlog:
            first = await connection.bzpopmin(self.key, timeout=self.layer.brpop_timeout)
            if first is None:
                return []
            raw.append(first[1])
        rest = await connection.zpopmin(self.key, RECEIVE_BATCH - len(raw))
        raw.extend(member for member, _ in rest)
        # A full batch: more may wait, so the next call pops without blocking first.
        self.backlog = len(raw) >= RECEIVE_BATCH
        messages = []
        for data in raw:
            message = self.layer.deserialize(data)
            message.pop("__asgi_channel__", None)
            messages.append(message)
        return messages


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub_get() -> Hub:
    """Return the hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    for known in [known for known in _hubs if known.is_closed()]:
        del _hubs[known]
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub(get_channel_layer())
    return hub
