"""Redis cache backend whose connection pool is shared by the whole process."""

import threading

from django.core.cache.backends.redis import RedisCache
from django.utils.functional import cached_property

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


class SharedPoolRedisCache(RedisCache):
    """Django's RedisCache, with one client (and so one connection pool) per process.

    Django makes a cache backend per async context, and each stock RedisCache builds its own pool:
    under ASGI every request would open (and abandon) a Redis connection. redis-py pools are
    thread-safe and reset themselves after a fork, so one per process is safe.
    """

    @cached_property
    def _cache(self):
        # RedisCache's own attributes, which its type stubs do not declare.
        servers, options = self._servers, self._options  # type: ignore[attr-defined]
        key = (tuple(servers), repr(sorted(options.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(servers, **options)  # type: ignore[attr-defined]
        return client
