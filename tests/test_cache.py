"""The Redis cache shares one connection pool across request contexts (services mode)."""

import threading

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.services


def test_every_context_uses_the_same_redis_client_and_few_connections():
    # given: many threads, each with its own context and so its own cache backend object
    clients, errors = [], []
    pool = caches["default"]._cache._get_connection_pool(write=True)
    # Earlier tests in this process may have opened connections of their own already.
    before = pool._created_connections

    def work(n: int) -> None:
        try:
            cache = caches["default"]
            for i in range(20):
                cache.set(f"pool-test:{n}:{i}", i, timeout=30)
                assert cache.get(f"pool-test:{n}:{i}") == i
            clients.append(cache._cache)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then: one client for all of them, and its pool holds at most one connection per thread
    assert errors == []
    assert len({id(client) for client in clients}) == 1
    assert clients[0]._get_connection_pool(write=True) is pool
    assert pool._created_connections - before <= 40
