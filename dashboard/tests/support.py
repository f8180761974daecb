"""The dashboard's user flows through Chromium, shared by the embedded and services suites."""

import re
from decimal import Decimal

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.harness import ROOT, Stack

SCREENSHOTS = ROOT / ".artifacts" / "screenshots"
VIEWER = ("vera", "viewer-pw-9d1c7e2a")
RISK_MANAGER = ("rita", "risk-pw-5b7e0c41")
# Short enough that every test crosses several refreshes; the refresh test relies on it.
ACCESS_LIFETIME_S = 6
POSITIVE = re.compile(r"^[1-9]\d*$")
# What the console shows where it has no figure yet.
NO_FIGURE = "\u2013"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def api_token(stack: Stack, username: str, password: str) -> str:
    response = httpx.post(
        f"{stack.base_url}/api/v1/auth/token", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()["access"]


_tokens: dict[tuple[str, str], str] = {}


def api_call(
    stack: Stack, method: str, path: str, *, user: tuple[str, str] | None = None, **kwargs
) -> httpx.Response:
    """One API call as `user` (the stack's admin by default); a new token when the last expired."""
    username, password = user or (stack.username, stack.password)
    extra = kwargs.pop("headers", {})
    url = f"{stack.base_url}/api/v1{path}"
    for attempt in range(2):  # a 401 changed nothing: the call is made again with a new token
        key = (stack.base_url, username)
        if attempt or key not in _tokens:
            _tokens[key] = api_token(stack, username, password)
        headers = {"Authorization": f"Bearer {_tokens[key]}", **extra}
        response = httpx.request(method, url, headers=headers, **kwargs)
        if response.status_code != 401:
            break
    return response


def sign_in(page: Page, stack: Stack, username: str | None = None, password: str | None = None):
    page.goto(f"{stack.base_url}/")
    expect(page).to_have_url(f"{stack.base_url}/signin")
    page.fill("#signin-username", username or stack.username)
    page.fill("#signin-password", password or stack.password)
    page.click("#signin-submit")
    expect(page).to_have_url(f"{stack.base_url}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#ov-equity")).not_to_have_text(NO_FIGURE)


def tab(page: Page, name: str) -> None:
    page.click(f'.tabs a[data-tab="{name}"]')
    expect(page.locator(f"#page-{name}")).to_be_visible()


def quote_ticks(page: Page, symbol: str = "AAPL") -> None:
    stamp = page.locator(f'#quotes-table tr[data-symbol="{symbol}"] time')
    expect(stamp).to_have_attribute("datetime", _any())
    first = stamp.get_attribute("datetime")
    expect(stamp).not_to_have_attribute("datetime", first or "")
    # Local time shown, UTC on hover.
    expect(stamp).to_have_attribute("title", _ends_with_utc())


def _any() -> re.Pattern:
    return re.compile(r".+")


def _ends_with_utc() -> re.Pattern:
    return re.compile(r"Z \(UTC\)$")


def ticket(page: Page, *, symbol="AAPL", side="buy", order_type="market", quantity="5", limit=None):
    tab(page, "orders")
    page.fill("#t-symbol", symbol)
    page.select_option("#t-side", side)
    page.select_option("#t-type", order_type)
    page.fill("#t-quantity", quantity)
    if limit is not None:
        page.fill("#t-limit", limit)


def preview_then_place_market_order(page: Page) -> None:
    # given a preview that breaks a limit: the verdict and the violation, no confirm
    ticket(page, quantity="20000")
    page.click("#t-preview")
    expect(page.locator("#t-preview-result .verdict")).to_have_text("Risk verdict: rejected")
    expect(page.locator("#t-preview-result .violations li").first).to_contain_text(
        "max_order_quantity"
    )
    expect(page.locator("#t-confirm")).to_be_disabled()
    # when an acceptable one is previewed and confirmed
    page.fill("#t-quantity", "5")
    expect(page.locator("#t-confirm")).to_be_disabled()  # the form changed: preview again
    page.click("#t-preview")
    expect(page.locator("#t-preview-result .verdict")).to_have_text("Risk verdict: accepted")
    screenshot(page, "orders-preview")
    page.click("#t-confirm")
    # then it fills, the fill is listed and the position appears, without a reload
    expect(page.locator("#t-result")).to_contain_text("buy 5 AAPL")
    expect(page.locator("#fills-table tbody tr").first).to_contain_text("AAPL")
    tab(page, "positions")
    row = page.locator('#positions-table tr[data-symbol="AAPL"]')
    expect(row).to_contain_text("long")
    expect(row.locator(".mark")).not_to_have_text(NO_FIGURE)
    screenshot(page, "positions")
    tab(page, "overview")
    expect(page.locator("#ov-open-positions")).not_to_have_text("0")
    expect(page.locator("#equity-chart")).to_have_attribute("data-points", POSITIVE)
    expect(page.locator("#drawdown-chart")).to_have_attribute("data-points", POSITIVE)
    screenshot(page, "overview")
    # and the fill is marked on the symbol's candles
    tab(page, "charts")
    expect(page.locator("#price-chart")).to_have_attribute("data-markers", POSITIVE)


def far_limit_price(stack: Stack, symbol: str = "AAPL", factor: str = "0.8") -> str:
    quote = api_call(stack, "GET", f"/quotes/{symbol}").json()
    return str((Decimal(quote["bid"]) * Decimal(factor)).quantize(Decimal("0.01")))


def place_resting_limit(page: Page, stack: Stack, quantity: str = "3") -> Locator:
    """Place a buy limit 20 % under the bid from the ticket; return its open-orders row."""
    ticket(page, order_type="limit", quantity=quantity, limit=far_limit_price(stack))
    page.click("#t-preview")
    expect(page.locator("#t-preview-result .verdict")).to_have_text("Risk verdict: accepted")
    page.click("#t-confirm")
    expect(page.locator("#t-result")).to_contain_text(f"buy {quantity} AAPL")
    order_id = re.search(r"Order (\d+):", page.locator("#t-result").inner_text())
    assert order_id, page.locator("#t-result").inner_text()
    row = page.locator(f'#orders-table tbody tr[data-order-id="{order_id.group(1)}"]')
    expect(row).to_contain_text("open")
    return row


def cancel_an_order(page: Page, stack: Stack) -> None:
    row = place_resting_limit(page, stack)
    screenshot(page, "orders")
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(0)
    expect(page.locator("#orders-empty")).to_be_visible()


def stop_trading_refuses_orders(page: Page, stack: Stack) -> None:
    tab(page, "risk")
    expect(page.locator("#limits .limit").first).to_be_visible()
    page.click("#ks-stop")  # no reason: asked for one
    expect(page.locator("#ks-result")).to_contain_text("Give a reason")
    page.fill("#ks-reason", "browser test: kill switch")
    page.click("#ks-stop")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.click("#confirm-yes")
    expect(page.locator("#trading-state")).to_have_text("trading stopped")
    expect(page.locator("#ks-last")).to_contain_text("browser test: kill switch")
    screenshot(page, "risk-stopped")
    # a new order: the preview shows the refusal, the confirm stays off, the server refuses it
    ticket(page, quantity="1")
    page.click("#t-preview")
    expect(page.locator("#t-preview-result .verdict")).to_have_text("Risk verdict: rejected")
    expect(page.locator("#t-preview-result .violations")).to_contain_text("trading_state")
    expect(page.locator("#t-confirm")).to_be_disabled()
    order = {"symbol": "AAPL", "side": "buy", "order_type": "market", "quantity": "1"}
    refused = api_call(stack, "POST", "/orders", json=order)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "TRADING_STOPPED"
    # and trading starts again
    tab(page, "risk")
    page.fill("#ks-reason", "browser test: resume")
    page.click("#ks-start")
    page.click("#confirm-yes")
    expect(page.locator("#trading-state")).to_have_text("trading running")


def viewer_has_no_kill_switch(page: Page, stack: Stack) -> None:
    sign_in(page, stack, *VIEWER)
    tab(page, "risk")
    expect(page.locator("#limits .limit").first).to_be_visible()
    expect(page.locator("#kill-switch")).to_have_count(0)
    tab(page, "orders")
    expect(page.locator("#ticket")).to_have_count(0)
    tab(page, "backtests")
    expect(page.locator("#bt-form")).to_have_count(0)
    expect(page.locator('.tabs a[data-tab="audit"]')).to_have_count(0)
    expect(page.locator("#page-audit")).to_have_count(0)
    tab(page, "risk")
    expect(page.locator("#override-form")).to_have_count(0)
    screenshot(page, "risk-viewer")
    # the server refuses it anyway
    response = api_call(stack, "POST", "/trading/stop", user=VIEWER, json={"reason": "viewer"})
    assert response.status_code == 403, response.text
    audit = api_call(stack, "GET", "/audit", user=VIEWER)
    assert audit.status_code == 403, audit.text


def backtest_runs_to_its_chart(page: Page) -> None:
    tab(page, "backtests")
    page.select_option("#bt-strategy", "sma_crossover")
    # the form comes from the strategy's parameter schema, with its defaults
    expect(page.locator('#bt-parameters input[name="fast"]')).to_have_value("10")
    page.select_option("#bt-interval", "1m")
    page.fill('#bt-parameters input[name="fast"]', "5")
    page.click("#bt-run")
    expect(page.locator("#bt-progress-box")).to_be_visible()
    expect(page.locator("#bt-progress-label")).to_contain_text("completed · 100", timeout=120_000)
    expect(page.locator("#bt-progress")).to_have_attribute("value", "100")
    expect(page.locator("#bt-chart")).to_have_attribute("data-points", POSITIVE)
    expect(page.locator("#bt-dd-chart")).to_have_attribute("data-points", POSITIVE)
    trades = page.locator('#bt-stats dd[data-stat="total_trades"]')
    expect(trades).not_to_have_text(NO_FIGURE)
    # the trade list: one row per closed round trip, and the open one if any
    closed = int(trades.inner_text())
    rows = page.locator("#bt-trades tbody tr")
    expect(rows).to_have_count(closed + rows.filter(has_text="open").count())
    screenshot(page, "backtests")
