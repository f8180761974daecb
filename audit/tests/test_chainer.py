"""The chainer thread: woken passes, and the commits of one moment sharing a pass."""

import threading

from audit.chainer import Chainer


def _counting_settle():
    calls = []
    done = threading.Event()

    def settle() -> None:
        calls.append(threading.current_thread().name)
        done.set()

    return settle, calls, done


def test_a_wake_runs_a_pass_on_the_chainer_thread():
    settle, calls, done = _counting_settle()
    chainer = Chainer(settle=settle, interval_s=lambda: 3600.0)
    chainer.wake()
    assert done.wait(timeout=10)
    assert calls == ["audit-chainer"]


def test_wakes_within_the_coalescing_window_share_one_pass():
    settle, calls, done = _counting_settle()
    # A window far longer than ten wakes take: they all land in it.
    chainer = Chainer(settle=settle, interval_s=lambda: 3600.0, coalesce_s=lambda: 1.0)
    for _ in range(10):
        chainer.wake()
    assert done.wait(timeout=10)
    assert len(calls) == 1
    # A later wake gets a pass of its own.
    done.clear()
    chainer.wake()
    assert done.wait(timeout=10)
    assert len(calls) == 2
