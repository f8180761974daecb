"""Redis cache backend whose connection pool and client are shared by the whole process."""

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one `redis.Redis` per connection pool.

    The stock client builds a new `redis.Redis` for every cache call; redis-py 5+ fills a table
    of some 200 response callbacks in each one, which cost about a millisecond per request on
    the order path. A `redis.Redis` is thread-safe (each command borrows a pool connection).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._redis_clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._redis_clients.get(id(pool))
        if client is None:
            client = self._redis_clients.setdefault(id(pool), self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client


class SharedPoolRedisCache(RedisCache):
    """Django's RedisCache, with one client (and so one connection pool) per process.

    Django makes a cache backend per async context, and each stock RedisCache builds its own pool:
    under ASGI every request would open (and abandon) a Redis connection. redis-py pools are
    thread-safe and reset themselves after a fork, so one per process is safe.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    @cached_property
    def _cache(self):
        # RedisCache's own attributes, which its type stubs do not declare.
        servers, options = self._servers, self._options  # type: ignore[attr-defined]
        key = (tuple(servers), repr(sorted(options.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(servers, **options)
        return client
