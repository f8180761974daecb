"""Session-wide real-process stacks for the integration tests."""

import os

import pytest

from tests.harness import stack_create


@pytest.fixture(scope="session")
def embedded_stack(tmp_path_factory):
    """The embedded mode as `make run` starts it: one daphne process with the engine inside."""
    stack = stack_create(tmp_path_factory.mktemp("embedded"), services=False)
    try:
        stack.start_web()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def services_stack(tmp_path_factory):
    """The services topology on PostgreSQL and Redis: web, engine and a Celery worker."""
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        pytest.fail("the services stack needs DATABASE_URL and REDIS_URL (make test-services)")
    stack = stack_create(tmp_path_factory.mktemp("services"), services=True)
    try:
        stack.start_web()
        stack.start_engine()
        stack.start_worker()
        yield stack
    finally:
        stack.stop()
