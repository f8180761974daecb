"""Redis cache backend whose connection pool and client are shared by the whole process."""

import threading
from collections.abc import Sequence

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple, object] = {}

# For each key: count it as django-ratelimit's fixed window does (`add` the initial value with a
# TTL; if it was there already, `incr` it when counting, else read it), but atomically and for
# every key of a request in one round trip. ARGV holds (initial value, TTL seconds) per key.
_WINDOW_COUNTS = """
local counts = {}
for i, key in ipairs(KEYS) do
  local initial = ARGV[2 * i - 1]
  if redis.call('SET', key, initial, 'EX', ARGV[2 * i], 'NX') then
    counts[i] = tonumber(initial)
  elseif initial == '1' then
    counts[i] = redis.call('INCRBY', key, 1)
  else
    counts[i] = tonumber(redis.call('GET', key) or initial)
  end
end
return counts
"""
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

    def window_counts(self, entries: Sequence[tuple[str, bool, int]]) -> list[int]:
        """Count fixed windows in one round trip: for each (key, increment, TTL seconds), the
        window's count after this call; a missing key starts at 1 when counting, else at 0.

        The keys are cache keys (this cache's prefix and version are applied), holding integers
        as Django's Redis serializer stores them, so `get`, `add` and `incr` see the same values.
        """
        client = self._cache.get_client(write=True)
        script = self.__dict__.get("_window_script")
        if script is None:
            script = self.__dict__["_window_script"] = client.register_script(_WINDOW_COUNTS)
        keys = [self.make_and_validate_key(key) for key, _, _ in entries]
        args: list[int] = []
        for _, increment, ttl in entries:
            args += [1 if increment else 0, ttl]
        return [int(count) for count in script(keys=keys, args=args, client=client)]
