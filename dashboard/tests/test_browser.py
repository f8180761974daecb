"""The dashboard in Chromium against a real embedded daphne server (engine, venue, feed inside)."""

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import Page, expect

from dashboard.tests.support import (
    NO_FIGURE,
    POSITIVE,
    RISK_MANAGER,
    api_call,
    backtest_runs_to_its_chart,
    cancel_an_order,
    far_limit_price,
    place_resting_limit,
    preview_then_place_market_order,
    quote_ticks,
    screenshot,
    sign_in,
    stop_trading_refuses_orders,
    tab,
    viewer_has_no_kill_switch,
)

pytestmark = pytest.mark.integration

# The simulator closes a 1-minute bar each wall-clock minute: a deployment's first decision can
# take that long, plus the engine's poll.
BAR_WAIT_MS = 90_000

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


def test_modify_an_open_order_with_if_match_then_find_it_in_the_history(
    page: Page, dashboard_stack
):
    sign_in(page, dashboard_stack)
    row = place_resting_limit(page, dashboard_stack, quantity="3")
    order_id = row.get_attribute("data-order-id")
    price = far_limit_price(dashboard_stack, factor="0.7")
    # when the order is modified from its row: quantity and limit price
    row.get_by_role("button", name="Modify").click()
    expect(page.locator("#m-version")).to_contain_text("version 1")
    page.fill("#m-quantity", "4")
    page.fill("#m-limit", price)
    page.click("#m-submit")
    # then the row shows the new terms, without a reload
    expect(page.locator("#modify-dialog")).to_be_hidden()
    expect(row.locator("td").nth(4)).to_have_text("4")
    expect(row.locator("td").nth(6)).to_have_text(price)
    # given the dialog open on version 2 while someone else modifies the order (version 3)
    row.get_by_role("button", name="Modify").click()
    expect(page.locator("#m-version")).to_contain_text("version 2")
    changed = api_call(
        dashboard_stack,
        "PATCH",
        f"/orders/{order_id}",
        json={"quantity": "5"},
        headers={"If-Match": "2"},
    )
    assert changed.status_code == 200, changed.text
    # when this user submits: If-Match 2 is refused with the API's message, nothing is lost
    page.fill("#m-quantity", "6")
    page.click("#m-submit")
    refused = f"Order {order_id} is at version 3, not 2"
    expect(page.locator("#modify-error")).to_contain_text(refused)
    expect(row.locator("td").nth(4)).to_have_text("5")
    # and submitting again, now on version 3, goes through
    page.click("#m-submit")
    expect(page.locator("#modify-dialog")).to_be_hidden()
    expect(row.locator("td").nth(4)).to_have_text("6")
    # the history lists it; a status filter and paging narrow it down
    history = page.locator(f'#order-history tr[data-order-id="{order_id}"]')
    expect(history).to_contain_text("open")
    page.select_option("#oh-status", "filled")
    page.click("#oh-apply")
    expect(history).to_have_count(0)
    page.select_option("#oh-status", "open")
    page.fill("#oh-symbol", "AAPL")
    page.click("#oh-apply")
    expect(history).to_have_count(1)
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(0)
    screenshot(page, "orders-history")


def test_history_pages_through_orders_and_fills(page: Page, dashboard_stack):
    # given more orders and fills than a page of 10 holds, placed over the API
    order = {"symbol": "MSFT", "side": "buy", "order_type": "market", "quantity": "1"}
    for _ in range(11):
        placed = api_call(dashboard_stack, "POST", "/orders", json=order)
        assert placed.status_code == 201, placed.text
    sign_in(page, dashboard_stack)
    tab(page, "orders")
    page.fill("#oh-symbol", "MSFT")
    page.select_option("#oh-limit", "10")
    page.click("#oh-apply")
    orders = page.locator("#order-history tbody tr")
    expect(orders).to_have_count(10)
    expect(page.locator("#oh-older")).to_be_enabled()
    newest = orders.first.get_attribute("data-order-id")
    # when the next page is asked for: older orders, then back to the first page
    page.click("#oh-older")
    expect(page.locator("#oh-page")).to_have_text("page 2")
    expect(orders.first).not_to_have_attribute("data-order-id", newest or "")
    page.click("#oh-newer")
    expect(page.locator("#oh-page")).to_have_text("page 1")
    expect(orders.first).to_have_attribute("data-order-id", newest or "")
    # the fills page the same way, filtered by symbol
    page.fill("#fh-symbol", "MSFT")
    page.select_option("#fh-limit", "10")
    page.click("#fh-apply")
    fills = page.locator("#fill-history tbody tr")
    expect(fills).to_have_count(10)
    expect(fills.first).to_contain_text("MSFT")
    page.click("#fh-older")
    expect(page.locator("#fh-page")).to_have_text("page 2")
    expect(fills.first).to_contain_text("MSFT")
    # a filter that matches nothing says what to do
    page.fill("#fh-symbol", "NOPE")
    page.click("#fh-apply")
    expect(page.locator("#fill-history-empty")).to_be_visible()
    # and the close-all clears the book again for the tests after this one
    tab(page, "positions")
    page.click("#close-all")
    page.click("#confirm-yes")
    expect(page.locator("#positions-empty")).to_be_visible()


def _risk_config_put(stack, **changes) -> None:
    response = api_call(stack, "PUT", "/config/risk", json=changes)
    assert response.status_code == 200, response.text


def test_a_four_eyes_override_is_approved_by_a_second_user_then_revoked(
    page: Page, second_page: Page, dashboard_stack
):
    # given an account whose overrides need a second user's approval
    _risk_config_put(dashboard_stack, require_four_eyes=True)
    try:
        # when the admin requests an override from the risk page
        sign_in(page, dashboard_stack)
        tab(page, "risk")
        expect(page.locator("#four-eyes")).to_have_attribute("data-four-eyes", "on")
        page.select_option("#ovr-kind", "limit")
        page.select_option("#ovr-target", "max_order_quantity")
        page.fill("#ovr-value", "50000")
        page.fill("#ovr-reason", "browser test: a block trade")
        page.click("#ovr-submit")
        # then it waits, and its requester is offered no approve
        expect(page.locator("#ovr-result")).to_contain_text("waits for another user's approval")
        mine = page.locator("#overrides .override").filter(has_text="a block trade")
        expect(mine).to_have_attribute("data-status", "pending_approval")
        expect(mine.get_by_role("button", name="Approve")).to_have_count(0)
        expect(mine).to_contain_text("Waiting for another user's approval")
        # when a risk manager signs in elsewhere and approves it
        sign_in(second_page, dashboard_stack, *RISK_MANAGER)
        tab(second_page, "risk")
        theirs = second_page.locator("#overrides .override").filter(has_text="a block trade")
        expect(theirs).to_contain_text("requested by " + dashboard_stack.username)
        theirs.get_by_role("button", name="Approve").click()
        second_page.click("#confirm-yes")
        # then it is active for both, with the approver named (the first page by the stream)
        expect(theirs).to_have_attribute("data-status", "active")
        expect(theirs).to_contain_text(f"approved by {RISK_MANAGER[0]}")
        expect(mine).to_have_attribute("data-status", "active")
        screenshot(second_page, "risk-overrides")
        # and when it is revoked it is gone
        mine.get_by_role("button", name="Revoke").click()
        page.click("#confirm-yes")
        expect(mine).to_have_count(0)
        expect(theirs).to_have_count(0)
    finally:
        _risk_config_put(dashboard_stack, require_four_eyes=False)


def test_stop_trading_with_a_reason_and_new_orders_are_refused(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    stop_trading_refuses_orders(page, dashboard_stack)


def test_start_a_backtest_and_see_it_reach_100_percent_and_its_chart(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    backtest_runs_to_its_chart(page)


def _figures(cells) -> list[Decimal | None]:
    """The numbers of a column of formatted cells ("1,234.50 %" -> 1234.50; no figure -> None)."""
    values = []
    for text in cells.all_inner_texts():
        number = re.sub(r"[^\d.\-]", "", text.replace(NO_FIGURE, ""))
        values.append(Decimal(number) if number else None)
    return values


def test_a_sweep_ranked_then_two_runs_compared_side_by_side(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    tab(page, "backtests")
    page.select_option("#bt-strategy", "sma_crossover")
    page.select_option("#bt-interval", "1m")
    # when a parameter is given as a list and the sweep is run, ranked by Sharpe
    page.fill('#bt-parameters input[name="fast"]', "3, 5, 8")
    page.fill('#bt-parameters input[name="slow"]', "20")
    page.select_option("#sw-rank", "sharpe_ratio")
    page.click("#bt-sweep-run")
    expect(page.locator("#bt-progress-label")).to_contain_text("completed · 100", timeout=120_000)
    # then its three runs are listed best first
    ranked = page.locator("#sw-table tbody tr")
    expect(page.locator("#sw-table")).to_have_attribute("data-rank-by", "sharpe_ratio")
    expect(ranked).to_have_count(3)
    assert ranked.evaluate_all("rows => rows.map(r => r.dataset.rank)") == ["1", "2", "3"]
    sharpe = [v for v in _figures(page.locator("#sw-table td.rank-by")) if v is not None]
    assert sharpe == sorted(sharpe, reverse=True), sharpe
    # and ranked again by drawdown, the smallest first
    page.select_option("#sw-rerank", "max_drawdown_pct")
    expect(page.locator("#sw-table")).to_have_attribute("data-rank-by", "max_drawdown_pct")
    drawdowns = [v for v in _figures(page.locator("#sw-table td.rank-by")) if v is not None]
    assert drawdowns == sorted(drawdowns), drawdowns
    screenshot(page, "backtests-sweep")
    # when two runs of the history are ticked and compared
    history = page.locator("#bt-history tbody tr")
    expect(history.first).to_contain_text("completed")
    history.nth(0).locator("input[type=checkbox]").check()
    expect(page.locator("#bt-compare")).to_be_disabled()
    history.nth(1).locator("input[type=checkbox]").check()
    page.click("#bt-compare")
    # then their statistics stand side by side, the better one marked
    comparison = page.locator("#bt-comparison")
    first, second = (history.nth(i).get_attribute("data-backtest") for i in (1, 0))
    expect(comparison.locator("thead")).to_contain_text(f"#{first}")
    expect(comparison.locator("thead")).to_contain_text(f"#{second}")
    expect(comparison.locator('tr[data-stat="sharpe_ratio"] td')).to_have_count(3)
    for i in (0, 1):
        expect(comparison).to_contain_text(history.nth(i).locator("td").nth(5).inner_text())
    screenshot(page, "backtests-compare")
    # and a run of the history opens with its curves and trades
    history.nth(0).get_by_role("button", name="Open").click()
    expect(page.locator("#bt-result")).to_have_attribute("data-backtest", second or "")
    expect(page.locator("#bt-chart")).to_have_attribute("data-points", POSITIVE)


def test_a_running_sweep_is_cancelled_from_its_progress_bar(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    tab(page, "backtests")
    page.select_option("#bt-strategy", "sma_crossover")
    page.select_option("#bt-interval", "1m")
    # 40 combinations: still running when the cancel is clicked, as its button appears
    page.fill('#bt-parameters input[name="fast"]', ", ".join(str(n) for n in range(2, 10)))
    page.fill('#bt-parameters input[name="slow"]', ", ".join(str(n) for n in range(20, 60, 8)))
    page.click("#bt-sweep-run")
    page.click("#bt-cancel")
    expect(page.locator("#bt-progress-label")).to_contain_text("cancelled", timeout=60_000)
    expect(page.locator("#bt-error")).to_contain_text("cancelled")
    expect(page.locator("#bt-cancel")).to_be_hidden()


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


def test_narrow_screen_keeps_the_console_usable_in_the_browsers_time_zone(
    tokyo_phone_page: Page, dashboard_stack
):
    page = tokyo_phone_page
    sign_in(page, dashboard_stack)
    # times are shown in the browser's zone (Tokyo, UTC+9), the UTC instant on hover
    stamp = page.locator('#quotes-table tr[data-symbol="AAPL"] time')
    expect(stamp).to_have_attribute("title", re.compile(r"Z \(UTC\)$"))
    iso, shown = stamp.evaluate("t => [t.dateTime, t.textContent]")  # one tick's both
    instant = datetime.fromisoformat(iso)
    local = instant.astimezone(timezone(timedelta(hours=9)))
    assert shown.startswith(f"{local.hour % 12 or 12}:{local.minute:02d}"), (shown, instant)
    tab(page, "orders")
    expect(page.locator("#t-preview")).to_be_in_viewport()
    screenshot(page, "orders-narrow")
    # no page scrolls sideways (wide tables scroll inside their panel)
    for name in ("overview", "positions", "orders", "charts", "risk", "backtests", "deployments"):
        tab(page, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the {name} page scrolls sideways: {width} px"


def _positive() -> re.Pattern:
    return re.compile(r"^[1-9]\d*$")


def _positive_number() -> re.Pattern:
    return re.compile(r"^\d+(\.\d+)?$")


def test_the_audit_page_filters_the_log_and_verifies_the_chain(page: Page, dashboard_stack):
    # given a call of the admin's that the log records (every POST under /api/ is)
    order = {"symbol": "AAPL", "side": "buy", "order_type": "market", "quantity": "1"}
    previewed = api_call(dashboard_stack, "POST", "/orders/preview", json=order)
    assert previewed.status_code == 200, previewed.text
    sign_in(page, dashboard_stack)
    tab(page, "audit")
    # the chain is verified when the page opens
    expect(page.locator("#au-chain")).to_have_attribute("data-intact", "yes")
    expect(page.locator("#au-chain")).to_contain_text("Chain intact")
    rows = page.locator("#audit-table tbody tr")
    expect(rows.first).to_be_visible()
    # when filtered by actor and action: only those rows
    page.fill("#au-actor", dashboard_stack.username)
    page.fill("#au-action", "api.request")
    page.select_option("#au-limit", "20")
    page.click("#au-apply")
    expect(page.locator("#audit-table")).to_have_attribute("data-state", "ready")
    expect(rows.first.locator("td").nth(3)).to_have_text("api.request")
    assert set(rows.evaluate_all("rs => rs.map(r => r.cells[2].textContent)")) == {
        dashboard_stack.username
    }
    assert set(rows.evaluate_all("rs => rs.map(r => r.cells[3].textContent)")) == {"api.request"}
    # the detail of a row opens with its request
    rows.first.locator("summary").click()
    expect(rows.first.locator("pre")).to_contain_text("request_id")
    screenshot(page, "audit")
    # a filter that matches nothing says so
    page.fill("#au-action", "no.such.action")
    page.click("#au-apply")
    expect(page.locator("#audit-empty")).to_be_visible()


def test_deployments_show_their_status_and_signals_live(page: Page, dashboard_stack):
    sign_in(page, dashboard_stack)
    tab(page, "deployments")
    # when a deployment is started elsewhere (over the API) while the page is open
    started = api_call(
        dashboard_stack,
        "POST",
        "/strategies/buy_and_hold/deployments",
        json={"symbol": "SPY", "interval": "1m", "capital": "1000"},
    )
    assert started.status_code == 201, started.text
    deployment = started.json()["id"]
    row = page.locator(f'#deployments-table tr[data-deployment="{deployment}"]')
    # then it appears, running, without a reload (the deployments channel)
    expect(row).to_have_attribute("data-status", "running")
    expect(row).to_contain_text("buy_and_hold")
    # and its decision on the next closed 1-minute bar arrives as a signal (the signals channel)
    signal = page.locator("#signals-table tbody tr").filter(has_text=f"deployment {deployment},")
    expect(signal).to_have_count(1, timeout=BAR_WAIT_MS)
    expect(signal).to_contain_text("taken")
    # the decision moved the deployment: long, holding what it bought
    expect(row.locator("td").nth(6)).to_have_text("long")
    expect(row.locator("td.position")).not_to_have_text(re.compile(r"^(0|\u2013)$"))
    screenshot(page, "deployments")
    # when it is paused and stopped from its row, the status follows
    row.get_by_role("button", name="Pause").click()
    expect(row).to_have_attribute("data-status", "paused")
    row.get_by_role("button", name="Stop").click()
    page.click("#confirm-yes")
    expect(row).to_have_attribute("data-status", "stopped")
    expect(row.get_by_role("button")).to_have_count(0)
    # the position it bought stays open (stopping does not close it): close it for later tests
    closed = api_call(dashboard_stack, "DELETE", "/positions/SPY")
    assert closed.status_code == 201, closed.text
