"""Reads: effective risk limits, trading state, overrides in force, and limit utilization."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, QuerySet
from django.utils import timezone

from access.models import Account
from kernel.db.expressions import ExactMul, ExactSum
from kernel.db.prepared import Prepared
from kernel.decimals import decimal_text
from kernel.ids import id_parse
from kernel.typing import AccountIds
from portfolio.models import Balance, EquitySnapshot, Position
from risk.enums import DrawdownZone, OverrideKind, OverrideStatus, TradingStateValue
from risk.errors import OverrideNotFound
from risk.models import RiskConfig, RiskOverride, TradingState

# The configuration fields, in the contract's order; `version` is read-only.
RISK_CONFIG_FIELDS = (
    "max_order_quantity",
    "max_order_notional",
    "max_position_notional",
    "max_gross_exposure",
    "max_open_orders",
    "price_band_pct",
    "market_protection_pct",
    "allowed_symbols",
    "blocked_symbols",
    "daily_loss_limit",
    "max_drawdown_pct",
    "dd_zones",
    "risk_per_trade_pct",
    "max_orders_per_second",
    "require_four_eyes",
    "flatten_on_halt",
)
INTEGER_LIMITS = frozenset({"max_open_orders", "max_orders_per_second"})


def risk_config_as_dict(*, config: RiskConfig) -> dict[str, Any]:
    """The configuration as the API shows it: decimals as strings, `version` last."""
    data: dict[str, Any] = {}
    for name in RISK_CONFIG_FIELDS:
        value = getattr(config, name)
        data[name] = decimal_text(value) if isinstance(value, Decimal) else value
    data["version"] = config.version
    return data


def risk_config_get(*, account: Account) -> RiskConfig:
    """The account's configuration, or an unsaved empty one (version 1) when it has none."""
    config = RiskConfig.objects.filter(account=account).first()
    return config if config is not None else RiskConfig(account=account)


_CONFIG_VALUES = Prepared(
    lambda p: (
        RiskConfig.objects.filter(account_id=p.account_id)
        .order_by("pk")
        .values_list(*RISK_CONFIG_FIELDS)[:1]
    ),
    account_id=models.BigIntegerField(),
)


def risk_config_values(*, account_id: int) -> dict[str, Any]:
    """The account's configured limits as Python values; an account without a config has none."""
    rows = _CONFIG_VALUES.rows(account_id=account_id)
    row = dict(zip(RISK_CONFIG_FIELDS, rows[0], strict=True)) if rows else None
    if row is None:
        return {name: None for name in RISK_CONFIG_FIELDS} | {
            "market_protection_pct": Decimal(settings.RISK_MARKET_PROTECTION_PCT),
            "allowed_symbols": [],
            "blocked_symbols": [],
            "dd_zones": [],
            "require_four_eyes": False,
            "flatten_on_halt": True,
        }
    return row


def override_active_list(*, account_id: int, now: datetime | None = None) -> QuerySet[RiskOverride]:
    """Overrides in force now: active and not yet past `expires_at` (expiry needs no task)."""
    now = now or timezone.now()
    return RiskOverride.objects.filter(
        account_id=account_id, status=OverrideStatus.ACTIVE, expires_at__gt=now
    ).order_by("created_at", "id")


# override_active_list's query, compiled once for the order path.
_OVERRIDES_IN_FORCE = Prepared(
    lambda p: override_active_list(account_id=p.account_id, now=p.now),
    account_id=models.BigIntegerField(),
    now=models.DateTimeField(),
)


def overrides_in_force(*, account_id: int) -> list[RiskOverride]:
    """`override_active_list` as a list, read through its compiled query."""
    return _OVERRIDES_IN_FORCE.objects(account_id=account_id, now=timezone.now())


def _newest(overrides: list[RiskOverride], kind: str) -> RiskOverride | None:
    matching = [override for override in overrides if override.kind == kind]
    return matching[-1] if matching else None


def risk_limits_effective(
    *, account_id: int, overrides: list[RiskOverride] | None = None
) -> dict[str, Any]:
    """Configured limits with every active `limit` override applied (the newest wins).

    `overrides`: the account's overrides in force, when the caller has already read them.
    """
    limits = risk_config_values(account_id=account_id)
    if overrides is None:
        overrides = list(override_active_list(account_id=account_id))
    for override in overrides:
        if override.kind != OverrideKind.LIMIT:
            continue
        value = Decimal(override.value)
        limits[override.target] = int(value) if override.target in INTEGER_LIMITS else value
    return limits


def dd_zone_for(*, dd_zones: list[dict], drawdown_pct: Decimal) -> tuple[str, Decimal]:
    """The deepest zone whose threshold the drawdown has reached, and its risk multiplier."""
    zone, multiplier, reached = DrawdownZone.NORMAL.value, Decimal(1), Decimal(-1)
    for entry in dd_zones or []:
        threshold = Decimal(str(entry["drawdown_pct"]))
        if drawdown_pct >= threshold > reached:
            zone, multiplier, reached = (
                entry["zone"],
                Decimal(str(entry["risk_multiplier"])),
                threshold,
            )
    return zone, multiplier


def risk_level_effective(
    *,
    account_id: int,
    drawdown_pct: Decimal | None = None,
    overrides: list[RiskOverride] | None = None,
) -> Decimal:
    """The risk multiplier: an active `risk_level` override (newest), else the drawdown zone's.

    Without `drawdown_pct` the account's latest equity snapshot gives it (none: multiplier 1).
    """
    if overrides is None:
        overrides = list(override_active_list(account_id=account_id))
    override = _newest(overrides, OverrideKind.RISK_LEVEL)
    if override is not None:
        return Decimal(override.value)
    if drawdown_pct is None:
        drawdown_pct = (
            EquitySnapshot.objects.filter(account_id=account_id)
            .order_by("-timestamp", "-id")
            .values_list("drawdown_pct", flat=True)
            .first()
        )
        if drawdown_pct is None:
            return Decimal(1)
    zones = risk_config_values(account_id=account_id)["dd_zones"]
    return dd_zone_for(dd_zones=zones, drawdown_pct=drawdown_pct)[1]


def trading_state_get(*, account_id: int) -> dict[str, Any]:
    """The persisted trading state: {state, reason, actor, changed_at}; running when never set."""
    row = TradingState.objects.filter(account_id=account_id).select_related("actor").first()
    if row is None:
        return {
            "state": TradingStateValue.RUNNING.value,
            "reason": "",
            "actor": None,
            "changed_at": None,
        }
    return {
        "state": row.state,
        "reason": row.reason,
        "actor": row.actor.get_username() if row.actor is not None else None,
        "changed_at": row.changed_at,
    }


def trading_state_view(*, account_id: int) -> dict[str, Any]:
    """The trading state as `GET /trading` shows it: the stored state and the effective one."""
    return {
        **trading_state_get(account_id=account_id),
        "effective_state": trading_state_effective(account_id=account_id),
    }


_PERSISTED_STATE = Prepared(
    lambda p: (
        TradingState.objects.filter(account_id=p.account_id).order_by("pk").values_list("state")[:1]
    ),
    account_id=models.BigIntegerField(),
)


def trading_state_effective(*, account_id: int, overrides: list[RiskOverride] | None = None) -> str:
    """The state orders are held to: an active `trading_state` override, else the persisted one."""
    if overrides is None:
        overrides = list(
            override_active_list(account_id=account_id).filter(kind=OverrideKind.TRADING_STATE)
        )
    override = _newest(overrides, OverrideKind.TRADING_STATE)
    if override is not None:
        return override.value
    rows = _PERSISTED_STATE.rows(account_id=account_id)
    return (rows[0][0] if rows else None) or TradingStateValue.RUNNING.value


def account_equity(*, account_id: int, positions_at_cost: Decimal | None = None) -> Decimal:
    """Cash in the base currency plus open positions at average cost.

    `positions_at_cost`: the sum of quantity x average entry price, if the caller has it.
    """
    currency = Account.objects.filter(pk=account_id).values_list("base_currency", flat=True)
    cash = (
        Balance.objects.filter(account_id=account_id, currency__in=currency)
        .values_list("total", flat=True)
        .first()
    ) or Decimal(0)
    if positions_at_cost is None:
        positions_at_cost = Position.objects.filter(account_id=account_id).aggregate(
            value=ExactSum(ExactMul(F("quantity"), F("average_entry_price")))
        )["value"] or Decimal(0)
    return cash + positions_at_cost


def risk_override_list(
    *, account_ids: AccountIds, status: str | None = None
) -> QuerySet[RiskOverride]:
    """Overrides of these accounts, newest first; `status` filters."""
    queryset = RiskOverride.objects.filter(account_id__in=account_ids).select_related(
        "requested_by", "approved_by", "revoked_by"
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def risk_override_get(*, account_ids: AccountIds, pk: Any) -> RiskOverride:
    """One override of a visible account; else OverrideNotFound (404, also for other accounts)."""
    try:
        return risk_override_list(account_ids=account_ids).get(pk=id_parse(pk))
    except (RiskOverride.DoesNotExist, ValueError) as exc:
        raise OverrideNotFound(f"Override {pk} not found") from exc


def risk_config_version_diff(
    *, snapshot: dict[str, Any], previous: dict[str, Any] | None
) -> list[tuple[str, Any, Any]]:
    """The fields a version changed: [(field, before, after)], in the contract's order.

    The first version (no previous) lists every field that is set, against nothing.
    """
    changes = []
    for name in RISK_CONFIG_FIELDS:
        after = snapshot.get(name)
        before = None if previous is None else previous.get(name)
        if before != after and not (previous is None and after in (None, [], False)):
            changes.append((name, before, after))
    return changes
