"""Fixtures for every test: fast hashing, a clean cache, eager Celery in-process, loud services."""

import os

import pytest

pytest_plugins = ["tests.fixtures"]


def _services_configured() -> bool:
    return bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config, items):
    """Tests marked `services` belong to the services suite (`make test-services`).

    Without DATABASE_URL and REDIS_URL they are deselected, and the run says so on its last lines;
    with them, they run against the real PostgreSQL and Redis and fail if those are down.
    """
    if _services_configured():
        return
    services = [item for item in items if item.get_closest_marker("services")]
    if services:
        items[:] = [item for item in items if not item.get_closest_marker("services")]
        config.hook.pytest_deselected(items=services)
        config._services_deselected = len(services)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    count = getattr(config, "_services_deselected", 0)
    if count:
        terminalreporter.write_line(
            f"{count} services-suite tests not run here: `make test-services` runs them against "
            "PostgreSQL and Redis."
        )


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _audit_chained_by_readers(settings):
    """No background chainer in the test process: it would hold a connection to the test
    database past the test. Rows are chained by the readers (`audit_chain_verify`, the list)
    and on SQLite in their own transaction; server processes the tests start run the thread."""
    settings.AUDIT_CHAINER_THREAD = False


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with empty caches (rate-limit counters, nonces, heartbeats, credentials)."""
    from django.core.cache import cache

    from access.credential_cache import credential_cache_clear

    cache.clear()
    credential_cache_clear()
    yield
    cache.clear()
    credential_cache_clear()


@pytest.fixture(autouse=True)
def _celery_eager_in_process():
    """In-process tests run tasks eagerly; the services suite also runs them on a real worker."""
    from trading_api.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
