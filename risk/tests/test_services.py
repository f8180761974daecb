"""Risk services: versioned configuration, trading state, four-eyes overrides and their expiry."""

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from audit.models import AuditEntry
from control.services import trading_stop
from orders.enums import OrderStatus
from orders.models import Order
from orders.services import order_submit
from orders.tests.helpers import fill
from portfolio.models import Position
from risk.enums import OverrideStatus
from risk.errors import (
    OverrideApproverLacksScope,
    OverrideInvalid,
    OverrideNotPending,
    OverrideNotRevocable,
    OverrideSelfApproval,
    RiskConfigInvalid,
    RiskConfigVersionConflict,
)
from risk.events import risk_group
from risk.models import RiskConfig, RiskConfigVersion, RiskOverride, TradingStateChange
from risk.selectors import override_active_list, risk_limits_effective, trading_state_get
from risk.services import (
    risk_config_get_or_create,
    risk_config_update,
    risk_override_approve,
    risk_override_create,
    risk_override_expire,
    risk_override_revoke,
    trading_reduce_only,
    trading_start,
)
from risk.tasks import risk_override_expire_due

D = Decimal


def in_an_hour():
    return timezone.now() + timedelta(hours=1)


# --- configuration ------------------------------------------------------------------------


def test_get_or_create_starts_without_limits_at_version_1(account):
    config = risk_config_get_or_create(account=account)
    assert (config.version, config.max_order_quantity, config.allowed_symbols) == (1, None, [])
    assert list(config.versions.values_list("version", flat=True)) == [1]
    assert risk_config_get_or_create(account=account).pk == config.pk


def test_partial_update_keeps_other_fields_and_records_history_and_audit(account, risk_manager):
    risk_config_update(account=account, changes={"max_order_quantity": "10", "price_band_pct": "5"})
    config = risk_config_update(
        account=account, changes={"max_order_quantity": D("20")}, actor=risk_manager
    )
    assert config.version == 3
    assert config.max_order_quantity == D("20")
    assert config.price_band_pct == D("5")
    versions = list(RiskConfigVersion.objects.filter(config=config).order_by("version"))
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[2].actor == risk_manager
    assert versions[2].snapshot["max_order_quantity"] == "20"
    assert versions[1].snapshot["max_order_quantity"] == "10"
    entry = AuditEntry.objects.filter(action="risk_config.updated").order_by("-id").first()
    assert entry.before["max_order_quantity"] == "10"
    assert entry.after["max_order_quantity"] == "20"
    assert (entry.before["version"], entry.after["version"]) == (2, 3)
    assert entry.account_id == account.pk


def test_unknown_and_invalid_fields_are_refused_together_and_nothing_changes(account):
    risk_config_update(account=account, changes={"max_order_quantity": "10"})
    audit_rows = AuditEntry.objects.count()
    with pytest.raises(RiskConfigInvalid) as raised:
        risk_config_update(
            account=account,
            changes={
                "max_order_quantity": "-1",
                "max_leverage": "3",
                "price_band_pct": "101",
                "max_open_orders": "2.5",
                "require_four_eyes": "yes",
                "dd_zones": [{"zone": "danger", "drawdown_pct": "5", "risk_multiplier": "0.5"},
                             {"zone": "caution", "drawdown_pct": "10", "risk_multiplier": "1"}],
            },
        )  # fmt: skip
    assert raised.value.status_code == 400
    assert sorted(raised.value.details["fields"]) == [
        "dd_zones",
        "max_leverage",
        "max_open_orders",
        "max_order_quantity",
        "price_band_pct",
        "require_four_eyes",
    ]
    assert raised.value.details["fields"]["max_leverage"] == ["Unknown field."]
    config = RiskConfig.objects.get(account=account)
    assert (config.version, config.max_order_quantity) == (2, D("10"))
    assert AuditEntry.objects.count() == audit_rows


def test_null_removes_a_limit_and_symbols_are_normalised(account):
    risk_config_update(account=account, changes={"max_order_notional": "1000"})
    config = risk_config_update(
        account=account,
        changes={"max_order_notional": None, "blocked_symbols": [" btcusd", "AAPL", "aapl"]},
    )
    assert config.max_order_notional is None
    assert config.blocked_symbols == ["AAPL", "BTCUSD"]


def test_stale_version_is_a_conflict(account):
    risk_config_update(account=account, changes={"max_order_quantity": "10"})
    with pytest.raises(RiskConfigVersionConflict):
        risk_config_update(account=account, changes={"max_order_quantity": "5", "version": 1})
    config = risk_config_update(account=account, changes={"max_order_quantity": "5", "version": 2})
    assert config.version == 3


def test_config_change_publishes_risk_changed_on_commit(
    account, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(risk_group(account.pk), channel)
    with django_capture_on_commit_callbacks(execute=True):
        risk_config_update(account=account, changes={"max_open_orders": 7})
    message = async_to_sync(layer.receive)(channel)
    assert (message["type"], message["stream"], message["event"]) == (
        "account.event",
        "risk",
        "risk.changed",
    )
    assert message["data"]["config"]["max_open_orders"] == 7
    assert message["data"]["config"]["version"] == 2


# --- trading state ------------------------------------------------------------------------


def test_trading_state_changes_are_persisted_with_actor_reason_and_history(account, risk_manager):
    assert trading_state_get(account_id=account.pk)["state"] == "running"
    trading_reduce_only(account=account, reason="earnings", actor=risk_manager)
    trading_stop(
        account=account,
        reason="kill",
        actor=risk_manager,
        cancel_orders=False,
        close_positions=False,
    )
    state = trading_start(account=account, reason="all clear", actor=risk_manager)
    assert (state["state"], state["reason"], state["actor"]) == ("running", "all clear", "rita")
    history = list(
        TradingStateChange.objects.filter(account=account)
        .order_by("id")
        .values_list("from_state", "to_state", "reason", "actor__username")
    )
    assert history == [
        ("running", "reduce_only", "earnings", "rita"),
        ("reduce_only", "stopped", "kill", "rita"),
        ("stopped", "running", "all clear", "rita"),
    ]
    audited = AuditEntry.objects.filter(action="trading.state_changed").order_by("id")
    assert [(e.before["state"], e.after["state"]) for e in audited] == [
        ("running", "reduce_only"),
        ("reduce_only", "stopped"),
        ("stopped", "running"),
    ]


def test_leaving_a_halt_needs_a_reason(account):
    from control.services import trading_halt

    trading_halt(account=account, reason="daily loss breached")
    with pytest.raises(OverrideInvalid) as raised:
        trading_start(account=account, reason=" ")
    assert raised.value.details == {"fields": {"reason": ["Required to leave a halt."]}}
    assert trading_state_get(account_id=account.pk)["state"] == "halted"
    assert trading_start(account=account, reason="reviewed")["state"] == "running"


def test_trading_stop_cancels_open_orders_and_flattens_positions(account, aapl, msft):
    bought = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D("10")
    )
    fill(bought, quantity="10", price="100.10")
    resting = order_submit(
        account=account, symbol="MSFT", side="buy", order_type="limit",
        quantity=D("5"), limit_price=D("150"),
    )  # fmt: skip

    result = trading_stop(account=account, reason="kill switch")

    assert result["trading"]["state"] == "stopped"
    assert result["canceled_orders"] == [
        {"order_id": resting.pk, "status_code": 200, "status": "canceled"}
    ]
    assert Order.objects.get(pk=resting.pk).status == OrderStatus.CANCELED
    [closing] = result["closing_orders"]
    assert (closing["symbol"], closing["status_code"]) == ("AAPL", 201)
    close_order = Order.objects.get(pk=closing["order_id"])
    assert (close_order.side, close_order.order_type, close_order.quantity) == (
        "sell",
        "market",
        D("10"),
    )
    # The venue fills the closing order: the account is flat.
    fill(close_order, quantity="10", price="99.90")
    assert Position.objects.get(account=account, instrument=aapl).quantity == 0


def test_trading_stop_can_leave_orders_and_positions(account, aapl):
    resting = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("5"), limit_price=D("90"),
    )  # fmt: skip
    result = trading_stop(
        account=account, reason="pause", cancel_orders=False, close_positions=False
    )
    assert (result["canceled_orders"], result["closing_orders"]) == ([], [])
    assert Order.objects.get(pk=resting.pk).status == resting.status


# --- overrides ----------------------------------------------------------------------------


def four_eyes(account):
    risk_config_update(account=account, changes={"require_four_eyes": True})


def test_override_without_four_eyes_is_active_at_once(account, risk_manager):
    override = risk_override_create(
        account=account,
        kind="limit",
        target="max_open_orders",
        value="50",
        reason="busy day",
        expires_at=in_an_hour(),
        actor=risk_manager,
    )
    assert override.status == OverrideStatus.ACTIVE
    assert risk_limits_effective(account_id=account.pk)["max_open_orders"] == 50
    entry = AuditEntry.objects.filter(action="risk_override.activated").get()
    assert entry.after["value"] == "50"


def test_self_approval_is_refused_and_changes_nothing(account, risk_manager):
    four_eyes(account)
    override = risk_override_create(
        account=account,
        kind="risk_level",
        value="2",
        reason="conviction",
        expires_at=in_an_hour(),
        actor=risk_manager,
    )
    assert override.status == OverrideStatus.PENDING_APPROVAL
    audit_rows = AuditEntry.objects.count()
    with pytest.raises(OverrideSelfApproval) as raised:
        risk_override_approve(override=override, actor=risk_manager)
    assert (raised.value.status_code, raised.value.code) == (403, "OVERRIDE_SELF_APPROVAL")
    override.refresh_from_db()
    assert (override.status, override.approved_by) == (OverrideStatus.PENDING_APPROVAL, None)
    assert list(override_active_list(account_id=account.pk)) == []
    assert AuditEntry.objects.count() == audit_rows


def test_account_four_eyes_flag_also_requires_approval(account, risk_manager):
    account.require_four_eyes = True
    account.save()
    override = risk_override_create(
        account=account, kind="risk_level", value="2", reason="r", expires_at=in_an_hour(),
        actor=risk_manager,
    )  # fmt: skip
    assert override.status == OverrideStatus.PENDING_APPROVAL


def test_approval_by_another_user_activates(account, risk_manager, second_risk_manager):
    four_eyes(account)
    override = risk_override_create(
        account=account, kind="risk_level", value="2", reason="conviction",
        expires_at=in_an_hour(), actor=risk_manager,
    )  # fmt: skip
    approved = risk_override_approve(override=override, actor=second_risk_manager)
    assert (approved.status, approved.approved_by) == (OverrideStatus.ACTIVE, second_risk_manager)
    assert [o.pk for o in override_active_list(account_id=account.pk)] == [override.pk]
    entry = AuditEntry.objects.filter(action="risk_override.approved").get()
    assert (entry.before["status"], entry.after["status"]) == ("pending_approval", "active")
    assert entry.after["approved_by"] == "rob"
    with pytest.raises(OverrideNotPending):
        risk_override_approve(override=override, actor=second_risk_manager)


def test_approver_needs_the_control_scope(account, risk_manager, trader):
    four_eyes(account)
    override = risk_override_create(
        account=account, kind="risk_level", value="2", reason="r", expires_at=in_an_hour(),
        actor=risk_manager,
    )  # fmt: skip
    with pytest.raises(OverrideApproverLacksScope):
        risk_override_approve(override=override, actor=trader)
    override.refresh_from_db()
    assert override.status == OverrideStatus.PENDING_APPROVAL


def test_pending_override_past_expiry_cannot_be_approved(
    account, risk_manager, second_risk_manager
):
    four_eyes(account)
    override = risk_override_create(
        account=account, kind="risk_level", value="2", reason="r", expires_at=in_an_hour(),
        actor=risk_manager,
    )  # fmt: skip
    with pytest.raises(OverrideNotPending):
        risk_override_approve(
            override=override,
            actor=second_risk_manager,
            now=timezone.now() + timedelta(hours=2),
        )
    override.refresh_from_db()
    assert override.status == OverrideStatus.PENDING_APPROVAL


def test_revoke_ends_an_override_once(account, risk_manager):
    override = risk_override_create(
        account=account, kind="limit", target="max_order_quantity", value="5", reason="r",
        expires_at=in_an_hour(), actor=risk_manager,
    )  # fmt: skip
    revoked = risk_override_revoke(override=override, actor=risk_manager)
    assert (revoked.status, revoked.revoked_by) == (OverrideStatus.REVOKED, risk_manager)
    assert risk_limits_effective(account_id=account.pk)["max_order_quantity"] is None
    with pytest.raises(OverrideNotRevocable):
        risk_override_revoke(override=override, actor=risk_manager)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"kind": "limit", "target": "max_leverage", "value": "1"}, "target"),
        ({"kind": "limit", "target": "max_open_orders", "value": "1.5"}, "value"),
        ({"kind": "risk_level", "value": "11"}, "value"),
        ({"kind": "trading_state", "value": "paused"}, "value"),
        ({"kind": "risk_level", "value": "1", "reason": " "}, "reason"),
        ({"kind": "risk_level", "value": "1", "expires_at": "past"}, "expires_at"),
        ({"kind": "risk_level", "value": "1", "expires_at": "too far"}, "expires_at"),
    ],
)
def test_invalid_overrides_are_refused(account, fields, bad):
    now = timezone.now()
    expiry = {"past": now - timedelta(seconds=1), "too far": now + timedelta(days=7, seconds=1)}
    values = {"reason": "r", "expires_at": in_an_hour(), **fields}
    values["expires_at"] = expiry.get(values["expires_at"], values["expires_at"])
    with pytest.raises(OverrideInvalid) as raised:
        risk_override_create(account=account, now=now, **values)
    assert list(raised.value.details["fields"]) == [bad]
    assert RiskOverride.objects.count() == 0


def test_expiry_task_marks_expired_overrides_and_audits_them(account, risk_manager):
    live = risk_override_create(
        account=account, kind="risk_level", value="0.5", reason="r", expires_at=in_an_hour(),
        actor=risk_manager,
    )  # fmt: skip
    due = risk_override_create(
        account=account, kind="limit", target="max_order_quantity", value="5", reason="r",
        expires_at=in_an_hour(), actor=risk_manager,
    )  # fmt: skip
    RiskOverride.objects.filter(pk=due.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert risk_override_expire_due.apply().get() == 1
    assert RiskOverride.objects.get(pk=due.pk).status == OverrideStatus.EXPIRED
    assert RiskOverride.objects.get(pk=live.pk).status == OverrideStatus.ACTIVE
    entry = AuditEntry.objects.filter(action="risk_override.expired").get()
    assert entry.object_id == str(due.pk)
    assert risk_override_expire() == 0
