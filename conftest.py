"""Fixtures for every test: fast hashing, a clean cache, eager Celery in-process, loud services."""

import os

import pytest


def pytest_collection_modifyitems(config, items):
    """The services suite needs real PostgreSQL and Redis: fail loudly without them, never skip."""
    wants_services = any(item.get_closest_marker("services") for item in items)
    if wants_services and not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        selected = config.getoption("-m") or ""
        if "not services" not in selected:
            raise pytest.UsageError(
                "tests marked 'services' need DATABASE_URL and REDIS_URL: run `make test-services`"
            )


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (rate-limit counters, nonces, heartbeats)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _celery_eager_in_process():
    """In-process tests run tasks eagerly; the services suite also runs them on a real worker."""
    from trading_api.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
