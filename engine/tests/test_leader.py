"""Leader election: one holder at a time; release (or death) lets the next one in."""

import pytest
from django.conf import settings

from engine.leader import FileLock, PostgresAdvisoryLock, leader_lock_for_database


def test_file_lock_admits_one_holder(tmp_path):
    first, second = FileLock(path=tmp_path / "e.lock"), FileLock(path=tmp_path / "e.lock")
    assert first.try_acquire() is True
    assert second.try_acquire() is False
    first.release()
    assert second.try_acquire() is True
    second.release()


@pytest.mark.services
@pytest.mark.django_db
def test_postgres_advisory_lock_admits_one_holder_and_frees_on_disconnect():
    first = leader_lock_for_database()
    second = leader_lock_for_database()
    assert isinstance(first, PostgresAdvisoryLock)
    first.key = second.key = settings.ENGINE_LEADER_LOCK_KEY + 17  # not the live engine's key
    assert first.try_acquire() is True
    assert first.is_held() is True
    assert second.try_acquire() is False
    # the connection going away (as when the process dies) releases the lock
    first._conn.close()
    assert first.is_held() is False
    assert second.try_acquire() is True
    second.release()
