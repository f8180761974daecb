"""The dashboard in Chromium against a real embedded daphne server (engine, venue, feed inside)."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from dashboard.tests.support import (
    backtest_runs_to_its_chart,
    cancel_an_order,
    preview_then_place_market_order,
    quote_ticks,
    screenshot,
    sign_in,
    stop_trading_refuses_orders,
    tab,
    viewer_has_no_kill_switch,
)

pytestmark = pytest.mark.integration

REVOKE_ALL = """
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
for token in OutstandingToken.objects.filter(user__username={username!r}):
    BlacklistedToken.objects.get_or_create(token=token)
"""


def test_sign_in_page_refuses_a_wrong_password_with_the_api_message(page: Page, dashboard_stack):
    # given the console opened without a session: it sends the browser to sign-in
    page.goto(f"{dashboard_stack.base_url}/")
    expect(page).to_have_url(f"{dashboard_stack.base_url}/signin")
    expect(page.locator(".brand")).to_have_text("Trading back-office")
    screenshot(page, "signin")
    # when the password is wrong
    page.fill("#signin-username", dashboard_stack.username)
    page.fill("#signin-password", "not the password")
    page.click("#signin-submit")
    # then the API's error message is shown and no session is kept
    expect(page.locator("#signin-error")).to_be_visible()
    expect(page.locator("#signin-error")).not_to_have_text("")
    assert page.evaluate("sessionStorage.getItem('dashboard.refresh')") is None


def test_sign_in_then_a_quote_ticks_and_the_chart_draws(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    quote_ticks(page)
    tab(page, "charts")
    chart = page.locator("#price-chart")
    expect(chart).to_have_attribute("data-bars", _positive())
    first = chart.get_attribute("data-last-time")
    expect(chart).to_have_attribute("data-last-close", _positive_number())
    screenshot(page, "charts")
    assert first is not None
    # the access token is nowhere but in memory
    assert page.evaluate("JSON.stringify(Object.keys(sessionStorage))") == '["dashboard.refresh"]'
    assert page.evaluate("Object.keys(localStorage).length") == 0


def test_preview_then_place_an_order_and_see_it_fill_and_the_position(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    preview_then_place_market_order(page)


def test_cancel_an_open_order(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    cancel_an_order(page, dashboard_stack)


def test_stop_trading_with_a_reason_and_new_orders_are_refused(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    stop_trading_refuses_orders(page, dashboard_stack)


def test_start_a_backtest_and_see_it_reach_100_percent_and_its_chart(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    backtest_runs_to_its_chart(page)


def test_a_viewer_is_not_offered_the_kill_switch_or_the_ticket(page: Page, dashboard_stack):
    viewer_has_no_kill_switch(page, dashboard_stack)


def test_the_session_outlives_the_access_token_by_refreshing_with_rotation(
    page: Page, dashboard_stack
):
    # given a signed-in console whose access tokens live 6 s (refreshed 3 s before expiry)
    sign_in(page, dashboard_stack)
    first_refresh = page.evaluate("sessionStorage.getItem('dashboard.refresh')")
    # when two refreshes have come and gone (past the first access token's lifetime)
    for _ in range(3):
        with page.expect_response(
            lambda r: r.url.endswith("/api/v1/auth/token/refresh"), timeout=15_000
        ) as refreshed:
            pass
        assert refreshed.value.status == 200
    # then the console still works, over REST and the stream
    tab(page, "orders")
    page.fill("#t-quantity", "1")
    page.click("#t-preview")
    expect(page.locator("#t-preview-result .verdict")).to_have_text("Risk verdict: accepted")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    # and the rotated-away refresh token is blacklisted
    response = httpx.post(
        f"{dashboard_stack.base_url}/api/v1/auth/token/refresh", json={"refresh": first_refresh}
    )
    assert response.status_code == 401, response.text


def test_a_revoked_session_goes_back_to_sign_in_with_a_message(page: Page, dashboard_stack):
    # given a signed-in console
    sign_in(page, dashboard_stack)
    # when every refresh token of the user is blacklisted elsewhere (as an administrator would)
    dashboard_stack.manage("shell", "-c", REVOKE_ALL.format(username=dashboard_stack.username))
    # then at its next refresh the console returns to sign-in and says why
    expect(page).to_have_url(f"{dashboard_stack.base_url}/signin")
    expect(page.locator("#signin-message")).to_contain_text("expired or was revoked")
    screenshot(page, "signin-revoked")


def test_sign_out_blacklists_the_refresh_token(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    with page.expect_request(lambda r: r.url.endswith("/api/v1/auth/logout")) as logout:
        page.click("#signout")
    expect(page).to_have_url(f"{dashboard_stack.base_url}/signin")
    expect(page.locator("#signin-message")).to_have_text("You signed out.")
    assert page.evaluate("sessionStorage.getItem('dashboard.refresh')") is None
    token = logout.value.post_data_json["refresh"]
    response = httpx.post(
        f"{dashboard_stack.base_url}/api/v1/auth/token/refresh", json={"refresh": token}
    )
    assert response.status_code == 401, response.text


def test_narrow_screen_keeps_the_console_usable(page: Page, dashboard_stack):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, dashboard_stack)
    tab(page, "orders")
    expect(page.locator("#t-preview")).to_be_in_viewport()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"
    screenshot(page, "orders-narrow")


def _positive() -> re.Pattern:
    return re.compile(r"^[1-9]\d*$")


def _positive_number() -> re.Pattern:
    return re.compile(r"^\d+(\.\d+)?$")
