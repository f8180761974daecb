"""Sequence numbers and the replay window: the in-memory ring, and the Redis Stream."""

import os
import uuid

import pytest
import redis

from kernel.streamlog import MemoryStreamLog, RedisStreamLog


def _redis_log(window: int, ttl_s: int = 60) -> RedisStreamLog:
    return RedisStreamLog(
        url=os.environ["REDIS_URL"], prefix=f"test-{uuid.uuid4().hex}", window=window, ttl_s=ttl_s
    )


LOGS = [
    pytest.param(lambda window: MemoryStreamLog(window=window), id="memory"),
    pytest.param(_redis_log, id="redis", marks=pytest.mark.services),
]


@pytest.mark.parametrize("make", LOGS)
def test_seq_rises_by_one_per_account_stream(make):
    log = make(10)
    seqs = [log.append(account_id=1, stream="orders", event={"n": n}) for n in range(3)]
    other = log.append(account_id=1, stream="fills", event={"n": 0})
    assert seqs == [1, 2, 3]
    assert other == 1
    assert log.current_seq(account_id=1, stream="orders") == 3
    assert log.current_seq(account_id=2, stream="orders") == 0


@pytest.mark.parametrize("make", LOGS)
def test_replay_gives_exactly_the_events_after_since(make):
    log = make(10)
    for n in range(5):
        log.append(account_id=1, stream="orders", event={"n": n})
    replay = log.replay(account_id=1, stream="orders", since_seq=2)
    assert replay.complete
    assert replay.events == [(3, {"n": 2}), (4, {"n": 3}), (5, {"n": 4})]
    assert log.replay(account_id=1, stream="orders", since_seq=5).events == []


@pytest.mark.parametrize("make", LOGS)
def test_past_the_window_or_ahead_of_it_the_replay_is_incomplete(make):
    log = make(3)
    for n in range(6):
        log.append(account_id=1, stream="orders", event={"n": n})
    assert not log.replay(account_id=1, stream="orders", since_seq=1).complete
    assert log.replay(account_id=1, stream="orders", since_seq=3).complete  # 4, 5, 6 held
    assert not log.replay(account_id=1, stream="orders", since_seq=9).complete


@pytest.mark.services
def test_the_redis_window_is_capped_and_expires_when_idle():
    log = _redis_log(window=3, ttl_s=30)
    for n in range(5):
        log.append(account_id=1, stream="orders", event={"n": n})
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    seq_key, events_key = log._keys(1, "orders")
    assert client.xlen(events_key) == 3
    assert 0 < client.ttl(seq_key) <= 30
    assert 0 < client.ttl(events_key) <= 30
