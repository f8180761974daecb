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
        "daily_loss_limit": "", "max_drawdown_pct": "", "risk_per_trade_pct": "",
        "market_protection_pct": "1",
        "caution_drawdown_pct": "", "caution_risk_multiplier": "",
        "danger_drawdown_pct": "", "danger_risk_multiplier": "",
        "halt_drawdown_pct": "", "halt_risk_multiplier": "",
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


def test_drawdown_zones_are_edited_as_a_table_and_stored_ordered(admins, account):
    config = risk_config_get_or_create(account=account)
    client = logged_in(admins[0])
    url = f"/admin/risk/riskconfig/{config.pk}/change/"
    page = client.get(url)
    assert b'name="caution_drawdown_pct"' in page.content
    assert b'name="halt_risk_multiplier"' in page.content
    assert b'name="dd_zones"' not in page.content

    response = client.post(
        url,
        form_of(
            config,
            caution_drawdown_pct="5", caution_risk_multiplier="0.5",
            halt_drawdown_pct="15", halt_risk_multiplier="0",
        ),
    )  # fmt: skip

    assert response.status_code == 302, response.context["adminform"].form.errors
    config.refresh_from_db()
    assert (config.version, config.dd_zones) == (
        2,
        [
            {"zone": "caution", "drawdown_pct": "5", "risk_multiplier": "0.5"},
            {"zone": "halt", "drawdown_pct": "15", "risk_multiplier": "0"},
        ],
    )
    entry = AuditEntry.objects.get(action="risk_config.updated")
    assert (entry.actor_username, entry.before["dd_zones"]) == ("ada", [])


@pytest.mark.parametrize(
    ("zones", "field", "message"),
    [
        (
            {"caution_drawdown_pct": "10", "caution_risk_multiplier": "0.5",
             "danger_drawdown_pct": "8", "danger_risk_multiplier": "0.2"},
            None,
            "Thresholds must rise from caution to danger to halt.",
        ),
        (
            {"caution_drawdown_pct": "10", "caution_risk_multiplier": "1.5"},
            "caution_risk_multiplier",
            "Ensure this value is less than or equal to 1.",
        ),
        ({"danger_drawdown_pct": "10"}, "danger_risk_multiplier", "Give both, or neither."),
    ],
)  # fmt: skip
def test_drawdown_zones_are_validated_and_nothing_changes(admins, account, zones, field, message):
    config = risk_config_get_or_create(account=account)

    response = logged_in(admins[0]).post(
        f"/admin/risk/riskconfig/{config.pk}/change/", form_of(config, **zones)
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["__all__" if field is None else field] == [message]
    config.refresh_from_db()
    assert (config.version, config.dd_zones) == (1, [])
    assert not AuditEntry.objects.filter(action="risk_config.updated").exists()


def test_symbols_are_chosen_from_the_instruments(admins, account, aapl, msft):
    config = risk_config_get_or_create(account=account)
    client = logged_in(admins[0])
    url = f"/admin/risk/riskconfig/{config.pk}/change/"
    page = client.get(url)
    assert b'<option value="AAPL">AAPL</option>' in page.content
    assert b"SelectFilter2.js" in page.content

    response = client.post(url, form_of(config, blocked_symbols=["MSFT"]))

    assert response.status_code == 302, response.context["adminform"].form.errors
    config.refresh_from_db()
    assert (config.allowed_symbols, config.blocked_symbols) == ([], ["MSFT"])
    refused = client.post(url, form_of(config, allowed_symbols=["NOPE"]))
    assert refused.context["adminform"].form.errors["allowed_symbols"] == [
        "Select a valid choice. NOPE is not one of the available choices."
    ]


def test_version_history_shows_what_each_version_changed(admins, account):
    config = risk_config_get_or_create(account=account)
    risk_config_update(account=account, changes={"max_open_orders": 10}, actor=admins[0])
    risk_config_update(account=account, changes={"max_open_orders": 3}, actor=admins[1])

    page = logged_in(admins[0]).get(f"/admin/risk/riskconfig/{config.pk}/change/")

    text = page.content.decode()
    assert "<tr><td>max_open_orders</td><td>10</td><td>3</td></tr>" in text
    assert "<tr><td>max_open_orders</td><td>—</td><td>10</td></tr>" in text
    assert f"/admin/risk/riskconfig/{config.pk}/restore/2/" in text
    assert f"/admin/risk/riskconfig/{config.pk}/restore/3/" not in text


def test_restoring_a_version_goes_through_the_service_and_is_audited(admins, account):
    config = risk_config_get_or_create(account=account)
    risk_config_update(account=account, changes={"max_open_orders": 10}, actor=admins[1])
    risk_config_update(account=account, changes={"max_open_orders": 3, "blocked_symbols": ["MSFT"]})
    client = logged_in(admins[0])
    url = f"/admin/risk/riskconfig/{config.pk}/restore/2/"

    preview = client.get(url)
    assert preview.status_code == 200
    assert preview.context["rows"] == [
        ("max_open_orders", "3", "10"), ("blocked_symbols", "MSFT", "none"),
    ]  # fmt: skip
    config.refresh_from_db()
    assert config.version == 3

    response = client.post(url)

    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.version, config.max_open_orders, config.blocked_symbols) == (4, 10, [])
    assert RiskConfigVersion.objects.get(config=config, version=4).actor == admins[0]
    entry = AuditEntry.objects.get(action="risk_config.restored")
    assert (entry.actor_username, entry.after["restored_version"]) == ("ada", 2)
    assert (entry.before["max_open_orders"], entry.after["max_open_orders"]) == (3, 10)


def test_an_override_created_in_the_admin_respects_four_eyes(admins, account):
    requester, approver = admins
    risk_config_update(account=account, changes={"require_four_eyes": True})
    client = logged_in(requester)
    add = client.get("/admin/risk/riskoverride/add/")
    assert add.status_code == 200
    expires = timezone.now() + timedelta(hours=2)

    response = client.post(
        "/admin/risk/riskoverride/add/",
        {
            "account": account.pk, "kind": "limit", "target": "max_open_orders", "value": "7",
            "reason": "index rebalance", "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
        follow=True,
    )  # fmt: skip

    override = RiskOverride.objects.get()
    assert (override.status, override.requested_by, override.value) == (
        OverrideStatus.PENDING_APPROVAL, requester, "7",
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="risk_override.requested")
    assert entry.actor_username == "ada"
    assert "awaits approval" in " ".join(str(m) for m in response.context["messages"])
    action = {"action": "approve", "_selected_action": [override.pk]}
    client.post("/admin/risk/riskoverride/", action)
    assert RiskOverride.objects.get().status == OverrideStatus.PENDING_APPROVAL
    logged_in(approver).post("/admin/risk/riskoverride/", action)
    assert RiskOverride.objects.get().approved_by == approver


def test_an_invalid_override_is_refused_by_the_admin_form(admins, account):
    response = logged_in(admins[0]).post(
        "/admin/risk/riskoverride/add/",
        {
            "account": account.pk, "kind": "limit", "target": "nonsense", "value": "7",
            "reason": "", "expires_at_0": "2020-01-01", "expires_at_1": "00:00:00",
        },
    )  # fmt: skip
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"target", "reason", "expires_at"}
    assert not RiskOverride.objects.exists()
