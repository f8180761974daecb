"""Admin: risk configuration edited through the service, overrides approved four-eyes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from risk.enums import OverrideStatus
from risk.models import RiskConfig, RiskConfigVersion, RiskOverride
from risk.services import risk_config_get_or_create, risk_config_update, risk_override_create


@pytest.fixture
def admins(db):
    return (
        User.objects.create_superuser("ada", password="pw-not-used"),
        User.objects.create_superuser("ben", password="pw-not-used"),
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_of(config: RiskConfig, **changes) -> dict:
    form = {
        "max_order_quantity": "", "max_order_notional": "", "max_position_notional": "",
        "max_gross_exposure": "", "max_open_orders": "", "price_band_pct": "",
        "allowed_symbols": "[]", "blocked_symbols": "[]", "daily_loss_limit": "",
        "max_drawdown_pct": "", "dd_zones": "[]", "risk_per_trade_pct": "",
        "max_orders_per_second": "", "flatten_on_halt": "on",
        "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0", "versions-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    form.update(changes)
    return form


def test_tightening_a_limit_in_the_admin_goes_through_the_service(admins, account):
    config = risk_config_get_or_create(account=account)
    client = logged_in(admins[0])
    url = f"/admin/risk/riskconfig/{config.pk}/change/"

    response = client.post(url, form_of(config, max_order_quantity="5"))

    assert response.status_code == 302, response.content
    config.refresh_from_db()
    assert (config.version, config.max_order_quantity) == (2, Decimal("5"))
    assert RiskConfigVersion.objects.get(config=config, version=2).actor == admins[0]
    entry = AuditEntry.objects.filter(action="risk_config.updated").get()
    assert (entry.before["max_order_quantity"], entry.after["max_order_quantity"]) == (None, "5")
    page = client.get(url)
    assert page.status_code == 200
    assert b"v2" in page.content or b'<td class="field-version">' in page.content


def test_invalid_values_are_refused_by_the_admin_form(admins, account):
    config = risk_config_get_or_create(account=account)
    response = logged_in(admins[0]).post(
        f"/admin/risk/riskconfig/{config.pk}/change/", form_of(config, price_band_pct="150")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["price_band_pct"] == [
        "A percentage: must be <= 100."
    ]
    config.refresh_from_db()
    assert (config.version, config.price_band_pct) == (1, None)


def test_override_actions_enforce_four_eyes(admins, account):
    requester, approver = admins
    risk_config_update(account=account, changes={"require_four_eyes": True})
    override = risk_override_create(
        account=account, kind="risk_level", value="0.5", reason="r",
        expires_at=timezone.now() + timedelta(hours=1), actor=requester,
    )  # fmt: skip
    action = {"action": "approve", "_selected_action": [override.pk]}

    refused = logged_in(requester).post("/admin/risk/riskoverride/", action, follow=True)
    assert [str(m) for m in refused.context["messages"]] == [
        f"Override {override.pk}: Four-eyes: an override must be approved by someone other than "
        "its requester"
    ]
    override.refresh_from_db()
    assert override.status == OverrideStatus.PENDING_APPROVAL

    logged_in(approver).post("/admin/risk/riskoverride/", action)
    override.refresh_from_db()
    assert (override.status, override.approved_by) == (OverrideStatus.ACTIVE, approver)

    logged_in(requester).post(
        "/admin/risk/riskoverride/", {"action": "revoke", "_selected_action": [override.pk]}
    )
    assert RiskOverride.objects.get(pk=override.pk).status == OverrideStatus.REVOKED


def test_trading_state_pages_render(admins, account):
    from risk.services import trading_reduce_only

    trading_reduce_only(account=account, reason="earnings", actor=admins[0])
    client = logged_in(admins[0])
    assert b"earnings" in client.get("/admin/risk/tradingstate/").content
    assert b"earnings" in client.get("/admin/risk/tradingstatechange/").content
