"""The dashboard's main flow in Chromium on the services topology (PostgreSQL, Redis, engine)."""

import pytest
from playwright.sync_api import Page

from dashboard.tests.support import (
    cancel_an_order,
    preview_then_place_market_order,
    quote_ticks,
    sign_in,
    stop_trading_refuses_orders,
)

pytestmark = [pytest.mark.integration, pytest.mark.services]


def test_main_flow_on_the_services_topology(page: Page, dashboard_services_stack):
    # sign in, prices move, an order fills into a position, a resting one is canceled, and the
    # kill switch refuses new orders: web, engine and worker in separate processes over Redis
    sign_in(page, dashboard_services_stack)
    quote_ticks(page)
    preview_then_place_market_order(page)
    cancel_an_order(page, dashboard_services_stack)
    stop_trading_refuses_orders(page, dashboard_services_stack)
