"""A real embedded server and Debian's Chromium for the dashboard's browser tests."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from dashboard.tests.support import ACCESS_LIFETIME_S, RISK_MANAGER, VIEWER
from tests.harness import Stack, stack_create

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Page conditions get up to 20 s on a shared, busy machine (auto-waiting, not sleeping).
expect.set_options(timeout=20_000)

CREATE_USERS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from access.models import Account
from access.services import membership_add
for username, password, role in {users!r}:
    user = get_user_model().objects.create_user(username=username, password=password)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    membership_add(user=user, account=Account.objects.get(name="Demo"), is_default=True)
"""


def _stack_start(workdir: Path, *, services: bool) -> Stack:
    stack = stack_create(workdir, services=services)
    users = [(*VIEWER, "viewer"), (*RISK_MANAGER, "risk_manager")]
    stack.manage("shell", "-c", CREATE_USERS.format(users=users))
    stack.start_web(
        {
            "JWT_ACCESS_TOKEN_LIFETIME_S": str(ACCESS_LIFETIME_S),
            "DASHBOARD_REFRESH_MARGIN_S": "3",
            # Each test signs in again from 127.0.0.1, and clicks faster than 1 order a second.
            "LOGIN_RATE_LIMIT": "1000/m",
            "RATE_LIMIT_TRADING": "50/s",
            "RATE_LIMIT_DATA": "200/s",
        }
    )
    return stack


@pytest.fixture(scope="module")
def dashboard_stack(tmp_path_factory) -> Iterator[Stack]:
    """One embedded daphne process (engine inside) with a short access-token lifetime."""
    stack = _stack_start(tmp_path_factory.mktemp("dashboard"), services=False)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def dashboard_services_stack(tmp_path_factory) -> Iterator[Stack]:
    """Web, engine and worker on PostgreSQL and Redis, web with the same settings."""
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        pytest.fail("the services stack needs DATABASE_URL and REDIS_URL (make test-services)")
    stack = _stack_start(tmp_path_factory.mktemp("dashboard-services"), services=True)
    try:
        stack.start_engine()
        stack.start_worker()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; Playwright downloads no browser.

    Module-scoped: sync Playwright runs an event loop in this thread while it is open, which
    would break the asyncio and async-unsafe checks of every test collected after these.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@contextmanager
def _fresh_page(browser: Browser, **options) -> Iterator[Page]:
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(20_000)
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own sessionStorage), 1280 px wide; page errors fail the test."""
    with _fresh_page(browser) as page:
        yield page


@pytest.fixture
def tokyo_phone_page(browser: Browser) -> Iterator[Page]:
    """A phone-sized browser whose clock is in Tokyo (UTC+9, no daylight saving)."""
    with _fresh_page(
        browser, viewport={"width": 390, "height": 844}, timezone_id="Asia/Tokyo", locale="en-US"
    ) as page:
        yield page


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    """Another user's browser beside `page` (a context of its own)."""
    with _fresh_page(browser) as page:
        yield page
