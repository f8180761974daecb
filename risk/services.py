"""Writes: risk configuration (versioned), trading state, and four-eyes manual overrides."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.enums import Scope
from access.models import Account
from access.selectors import user_scopes
from audit.services import audit_record
from kernel.decimals import decimal_parse, decimal_text
from kernel.typing import Actor
from risk.enums import (
    OVERRIDABLE_LIMITS,
    DrawdownZone,
    OverrideKind,
    OverrideStatus,
    TradingStateValue,
)
from risk.errors import (
    OverrideApproverLacksScope,
    OverrideInvalid,
    OverrideNotPending,
    OverrideNotRevocable,
    OverrideSelfApproval,
    RiskConfigInvalid,
    RiskConfigVersionConflict,
)
from risk.events import risk_event_publish
from risk.models import (
    RiskConfig,
    RiskConfigVersion,
    RiskOverride,
    TradingState,
    TradingStateChange,
)
from risk.representations import override_representation
from risk.selectors import (
    INTEGER_LIMITS,
    RISK_CONFIG_FIELDS,
    risk_config_as_dict,
    trading_state_get,
)

DECIMAL_LIMITS = frozenset(
    {
        "max_order_quantity",
        "max_order_notional",
        "max_position_notional",
        "max_gross_exposure",
        "daily_loss_limit",
    }
)
PERCENT_FIELDS = frozenset(
    {"price_band_pct", "market_protection_pct", "max_drawdown_pct", "risk_per_trade_pct"}
)
SYMBOL_LISTS = frozenset({"allowed_symbols", "blocked_symbols"})
# What an instrument's symbol looks like (ASCII letters and digits, then . / _ -).
_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9./_-]{0,31}")
BOOLEAN_FIELDS = frozenset({"require_four_eyes", "flatten_on_halt"})
ZONE_NAMES = (DrawdownZone.CAUTION, DrawdownZone.DANGER, DrawdownZone.HALT)


# --- validation ---------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    """A finite Decimal from a Decimal, int or ASCII `-?digits[.digits]` string (as every other
    decimal input: no exponent, full-width digits or underscores); ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise ValueError('Must be a number (a string such as "10.5" keeps it exact).')
    try:
        number = decimal_parse(value) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValueError('Must be a plain decimal number such as "10.5".') from None
    if not number.is_finite():
        raise ValueError("Must be a finite number.")
    whole_digits = settings.DECIMAL_MAX_DIGITS - settings.DECIMAL_PLACES
    exponent = number.normalize().as_tuple().exponent
    if (isinstance(exponent, int) and exponent < -settings.DECIMAL_PLACES) or (
        number and number.adjusted() >= whole_digits
    ):
        raise ValueError(
            f"At most {settings.DECIMAL_PLACES} decimal places and {whole_digits} whole digits."
        )
    return number


def _validate_field(name: str, value: Any) -> Any:
    """The cleaned value of one configuration field; ValueError with a message otherwise."""
    if name in BOOLEAN_FIELDS:
        if not isinstance(value, bool):
            raise ValueError("Must be true or false.")
        return value
    if name in SYMBOL_LISTS:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError("Must be a list of symbols.")
        symbols = {item.strip().upper() for item in value}
        if bad := sorted(symbol for symbol in symbols if not _SYMBOL.fullmatch(symbol)):
            raise ValueError(f"Not a symbol: {', '.join(map(repr, bad))}.")
        return sorted(symbols)
    if name == "dd_zones":
        return _validate_zones(value)
    if value is None:
        return None
    if name in INTEGER_LIMITS:
        if isinstance(value, bool):
            raise ValueError("Must be a whole number or null.")
        number = _decimal(value)
        if number != number.to_integral_value() or number < 0:
            raise ValueError("Must be a whole number >= 0 or null.")
        return int(number)
    number = _decimal(value)
    if number < 0:
        raise ValueError("Must be >= 0 or null.")
    if name in PERCENT_FIELDS and number > 100:
        raise ValueError("A percentage: must be <= 100.")
    return number


def _validate_zones(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise ValueError("Must be a list of {zone, drawdown_pct, risk_multiplier}.")
    zones: list[dict[str, str]] = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"zone", "drawdown_pct", "risk_multiplier"}:
            raise ValueError("Each zone is exactly {zone, drawdown_pct, risk_multiplier}.")
        if entry["zone"] not in ZONE_NAMES:
            raise ValueError(f"zone must be one of {', '.join(ZONE_NAMES)}.")
        threshold = _decimal(entry["drawdown_pct"])
        multiplier = _decimal(entry["risk_multiplier"])
        if not 0 < threshold <= 100:
            raise ValueError("drawdown_pct must be > 0 and <= 100.")
        if not 0 <= multiplier <= 1:
            # A zone only ever scales risk down: 1 keeps it, 0 stops new risk.
            raise ValueError("risk_multiplier must be between 0 and 1.")
        zones.append(
            {
                "zone": entry["zone"],
                "drawdown_pct": format(threshold, "f"),
                "risk_multiplier": format(multiplier, "f"),
            }
        )
    names = [zone["zone"] for zone in zones]
    if len(set(names)) != len(names):
        raise ValueError("Each zone may appear once.")
    ordered = sorted(zones, key=lambda zone: ZONE_NAMES.index(zone["zone"]))
    thresholds = [Decimal(zone["drawdown_pct"]) for zone in ordered]
    if thresholds != sorted(set(thresholds)):
        raise ValueError("Thresholds must rise from caution to danger to halt.")
    return ordered


def risk_config_validate(*, changes: dict[str, Any]) -> dict[str, Any]:
    """Return the cleaned changes. Raises RiskConfigInvalid (400) naming every bad field."""
    if not isinstance(changes, dict):
        raise RiskConfigInvalid(
            "Expected an object of risk fields",
            details={"fields": {"non_field_errors": ["Expected an object."]}},
        )
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "version":
            if isinstance(value, bool) or not (
                isinstance(value, int)
                or (isinstance(value, str) and value.isascii() and value.isdigit())
            ):
                errors[name] = ["A whole number: the version you read."]
            continue
        if name not in RISK_CONFIG_FIELDS:
            errors[name] = ["Unknown field."]
            continue
        try:
            cleaned[name] = _validate_field(name, value)
        except ValueError as error:
            errors[name] = [str(error)]
    if errors:
        raise RiskConfigInvalid(
            f"Invalid risk configuration: {', '.join(sorted(errors))}", details={"fields": errors}
        )
    return cleaned


# --- configuration ------------------------------------------------------------------------


def risk_config_get_or_create(*, account: Account) -> RiskConfig:
    """The account's risk configuration, created empty (no limits, version 1) when missing."""
    config = RiskConfig.objects.filter(account=account).first()
    if config is not None:
        return config
    try:
        with transaction.atomic():
            config = RiskConfig.objects.create(account=account)
            RiskConfigVersion.objects.create(
                config=config, version=1, snapshot=risk_config_as_dict(config=config)
            )
            audit_record(
                action="risk_config.created",
                object_type="risk_config",
                object_id=config.pk,
                after=risk_config_as_dict(config=config),
                account_id=account.pk,
            )
    except IntegrityError:
        # Created meanwhile by another request: that one is the config.
        config = RiskConfig.objects.get(account=account)
    return config


def risk_config_update(
    *, account: Account, changes: dict[str, Any], actor: Actor = None
) -> RiskConfig:
    """Apply a partial update; return the config at its new version.

    Raises RiskConfigInvalid (400) for unknown or invalid fields and RiskConfigVersionConflict
    (409) when `changes["version"]` is given and is not the current version.
    """
    return _risk_config_apply(
        account=account,
        cleaned=risk_config_validate(changes=changes),
        expected=changes.get("version") if isinstance(changes, dict) else None,
        action="risk_config.updated",
        actor=actor,
    )


def risk_config_restore(*, account: Account, version: int, actor: Actor = None) -> RiskConfig:
    """Make the configuration what it was at `version` again, as a new version; return it.

    Audited as `risk_config.restored` with the version restored. Raises RiskConfigInvalid (400)
    when the account has no such version.
    """
    config = risk_config_get_or_create(account=account)
    snapshot = (
        RiskConfigVersion.objects.filter(config=config, version=version)
        .values_list("snapshot", flat=True)
        .first()
    )
    if snapshot is None:
        raise RiskConfigInvalid(
            f"The configuration has no version {version}",
            details={"fields": {"version": [f"No version {version}."]}},
        )
    # A snapshot taken before a field existed leaves that field as it is now.
    changes = {name: snapshot[name] for name in RISK_CONFIG_FIELDS if name in snapshot}
    return _risk_config_apply(
        account=account,
        cleaned=risk_config_validate(changes=changes),
        expected=None,
        action="risk_config.restored",
        actor=actor,
        restored_version=version,
    )


def _risk_config_apply(
    *,
    account: Account,
    cleaned: dict[str, Any],
    expected: Any,
    action: str,
    actor: Actor,
    restored_version: int | None = None,
) -> RiskConfig:
    risk_config_get_or_create(account=account)
    with transaction.atomic():
        config = RiskConfig.objects.select_for_update().get(account=account)
        if expected is not None and str(expected) != str(config.version):
            raise RiskConfigVersionConflict(
                f"The configuration is at version {config.version}, not {expected}",
                details={"version": config.version},
            )
        before = risk_config_as_dict(config=config)
        for name, value in cleaned.items():
            setattr(config, name, value)
        config.version += 1
        config.save()
        config.refresh_from_db()
        after = risk_config_as_dict(config=config)
        RiskConfigVersion.objects.create(
            config=config,
            version=config.version,
            snapshot=after,
            actor=_user(actor),
        )
        audit_record(
            action=action,
            object_type="risk_config",
            object_id=config.pk,
            before=before,
            after=after
            if restored_version is None
            else {**after, "restored_version": restored_version},
            account_id=account.pk,
        )
        risk_event_publish(
            account_id=account.pk, event="risk.changed", data={"config": after, "cause": "config"}
        )
    return config


# --- trading state ------------------------------------------------------------------------


def _user(actor: Actor) -> User | None:
    """The person behind `actor`, or None for the system and anonymous callers."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def trading_state_set(
    *, account: Account, state: str, reason: str, actor: Actor = None
) -> dict[str, Any]:
    """Persist the trading state with actor and reason, record history and audit; return it."""
    if state not in TradingStateValue.values:
        raise OverrideInvalid(
            f"Unknown trading state {state!r}", details={"fields": {"state": ["Unknown state."]}}
        )
    now = timezone.now()
    with transaction.atomic():
        TradingState.objects.get_or_create(account=account, defaults={"changed_at": now})
        row = TradingState.objects.select_for_update().get(account=account)
        before = {"state": row.state, "reason": row.reason}
        change = TradingStateChange.objects.create(
            account=account,
            from_state=row.state,
            to_state=state,
            reason=reason,
            actor=_user(actor),
            created_at=now,
        )
        row.state, row.reason, row.actor, row.changed_at = state, reason, _user(actor), now
        row.save()
        after = {"state": state, "reason": reason}
        audit_record(
            action="trading.state_changed",
            object_type="trading_state",
            object_id=account.pk,
            before=before,
            after=after,
            account_id=account.pk,
        )
        risk_event_publish(
            account_id=account.pk,
            event="trading.state_changed",
            data={
                "state": state,
                "previous_state": change.from_state,
                "reason": reason,
                "actor": person.get_username() if (person := _user(actor)) else None,
                "changed_at": now.isoformat().replace("+00:00", "Z"),
            },
        )
    return trading_state_get(account_id=account.pk)


def trading_start(*, account: Account, reason: str = "", actor: Actor = None) -> dict[str, Any]:
    """Set the account running; return the trading state.

    Raises OverrideInvalid (400) when leaving a halt without a reason: a breaker's verdict is
    only undone on the record.
    """
    current = TradingState.objects.filter(account=account).values_list("state", flat=True).first()
    if current == TradingStateValue.HALTED and not (reason or "").strip():
        raise OverrideInvalid(
            "Restarting a halted account needs a reason",
            details={"fields": {"reason": ["Required to leave a halt."]}},
        )
    return trading_state_set(
        account=account, state=TradingStateValue.RUNNING, reason=reason, actor=actor
    )


def trading_reduce_only(
    *, account: Account, reason: str = "", actor: Actor = None
) -> dict[str, Any]:
    """Set the account reduce-only (only orders that shrink a position); return the state."""
    return trading_state_set(
        account=account, state=TradingStateValue.REDUCE_ONLY, reason=reason, actor=actor
    )


# --- overrides ----------------------------------------------------------------------------


def _override_value(kind: str, target: str, value: Any) -> tuple[str, str]:
    """Cleaned (target, value) of an override; ValueError naming the field otherwise."""
    if kind == OverrideKind.LIMIT:
        if target not in OVERRIDABLE_LIMITS:
            raise ValueError(f"target: one of {', '.join(sorted(OVERRIDABLE_LIMITS))}.")
        if value is None:
            raise ValueError("value: a limit value is required.")
        cleaned = _validate_field(target, value)
        return target, str(cleaned) if isinstance(cleaned, int) else decimal_text(cleaned)
    if kind == OverrideKind.RISK_LEVEL:
        number = _decimal(value)
        if number < 0 or number > 10:
            raise ValueError("value: a risk multiplier between 0 and 10.")
        return "", decimal_text(number)
    if kind == OverrideKind.TRADING_STATE:
        if value not in TradingStateValue.values:
            raise ValueError(f"value: one of {', '.join(TradingStateValue.values)}.")
        return "", str(value)
    raise ValueError(f"kind: one of {', '.join(OverrideKind.values)}.")


def risk_override_validate(
    *,
    kind: str,
    value: Any,
    reason: str,
    expires_at: datetime | None,
    target: str = "",
    now: datetime,
) -> tuple[str, str]:
    """The cleaned (target, value) of an override request.

    Raises OverrideInvalid (400) for a bad kind/target/value, a blank reason, or an expiry not in
    the future or beyond RISK_OVERRIDE_MAX_DURATION_S.
    """
    errors: dict[str, list[str]] = {}
    try:
        target, value = _override_value(kind, target or "", value)
    except (ValueError, TypeError) as error:
        field, _, message = str(error).partition(": ")
        if not message:
            field, message = "value", str(error)
        errors[field if field in {"kind", "target", "value"} else "value"] = [message or str(error)]
    if not (reason or "").strip():
        errors["reason"] = ["A reason is required."]
    longest = timedelta(seconds=settings.RISK_OVERRIDE_MAX_DURATION_S)
    if expires_at is None or expires_at <= now:
        errors["expires_at"] = ["Must be in the future."]
    elif expires_at > now + longest:
        errors["expires_at"] = [f"At most {longest} from now."]
    if errors:
        raise OverrideInvalid(
            f"Invalid override: {', '.join(sorted(errors))}", details={"fields": errors}
        )
    return target, value


def risk_override_create(
    *,
    account: Account,
    kind: str,
    value: Any,
    reason: str,
    expires_at: datetime,
    target: str = "",
    actor: Actor = None,
    now: datetime | None = None,
) -> RiskOverride:
    """Request an override; active at once unless the account needs four-eyes approval.

    Raises OverrideInvalid (400) as `risk_override_validate` does.
    """
    now = now or timezone.now()
    target, value = risk_override_validate(
        kind=kind, target=target, value=value, reason=reason, expires_at=expires_at, now=now
    )
    config = risk_config_get_or_create(account=account)
    four_eyes = account.require_four_eyes or config.require_four_eyes
    with transaction.atomic():
        override = RiskOverride.objects.create(
            account=account,
            kind=kind,
            target=target,
            value=value,
            reason=reason.strip(),
            expires_at=expires_at,
            status=OverrideStatus.PENDING_APPROVAL if four_eyes else OverrideStatus.ACTIVE,
            requested_by=_user(actor),
            decided_at=None if four_eyes else now,
        )
        after = override_representation(override=override)
        audit_record(
            action="risk_override.requested" if four_eyes else "risk_override.activated",
            object_type="risk_override",
            object_id=override.pk,
            after=after,
            account_id=account.pk,
        )
        if not four_eyes:
            risk_event_publish(
                account_id=account.pk,
                event="risk.changed",
                data={"cause": "override", "override": after},
            )
    return override


def risk_override_approve(
    *, override: RiskOverride, actor: Actor, now: datetime | None = None
) -> RiskOverride:
    """Activate a pending override; return it.

    Raises OverrideSelfApproval (403) when the approver requested it, OverrideApproverLacksScope
    (403) without the `control` scope, OverrideNotPending (409) unless pending and unexpired.
    """
    now = now or timezone.now()
    approver = _user(actor)
    if approver is None or Scope.CONTROL not in user_scopes(approver):
        raise OverrideApproverLacksScope("Approving an override needs the `control` scope")
    with transaction.atomic():
        locked = RiskOverride.objects.select_for_update().get(pk=override.pk)
        if locked.status != OverrideStatus.PENDING_APPROVAL or locked.expires_at <= now:
            raise OverrideNotPending(
                f"Override {locked.pk} is {locked.status}"
                + (", and past its expiry" if locked.expires_at <= now else ""),
                details={"status": locked.status},
            )
        if locked.requested_by_id is not None and locked.requested_by_id == approver.pk:
            raise OverrideSelfApproval(
                "Four-eyes: an override must be approved by someone other than its requester"
            )
        before = override_representation(override=locked)
        locked.status = OverrideStatus.ACTIVE
        locked.approved_by = approver
        locked.decided_at = now
        locked.save(update_fields=["status", "approved_by", "decided_at"])
        after = override_representation(override=locked)
        audit_record(
            action="risk_override.approved",
            object_type="risk_override",
            object_id=locked.pk,
            before=before,
            after=after,
            account_id=locked.account_id,
        )
        risk_event_publish(
            account_id=locked.account_id,
            event="risk.changed",
            data={"cause": "override", "override": after},
        )
    return locked


def risk_override_revoke(
    *, override: RiskOverride, actor: Actor = None, now: datetime | None = None
) -> RiskOverride:
    """Revoke a pending or active override; return it. Raises OverrideNotRevocable (409)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = RiskOverride.objects.select_for_update().get(pk=override.pk)
        if locked.status not in (OverrideStatus.PENDING_APPROVAL, OverrideStatus.ACTIVE):
            raise OverrideNotRevocable(
                f"Override {locked.pk} is {locked.status}", details={"status": locked.status}
            )
        before = override_representation(override=locked)
        locked.status = OverrideStatus.REVOKED
        locked.revoked_by = _user(actor)
        locked.decided_at = now
        locked.save(update_fields=["status", "revoked_by", "decided_at"])
        after = override_representation(override=locked)
        audit_record(
            action="risk_override.revoked",
            object_type="risk_override",
            object_id=locked.pk,
            before=before,
            after=after,
            account_id=locked.account_id,
        )
        risk_event_publish(
            account_id=locked.account_id,
            event="risk.changed",
            data={"cause": "override", "override": after},
        )
    return locked


def risk_override_expire(*, now: datetime | None = None) -> int:
    """Mark pending/active overrides past their expiry as expired, audited; return how many."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        due = RiskOverride.objects.select_for_update().filter(
            status__in=[OverrideStatus.PENDING_APPROVAL, OverrideStatus.ACTIVE],
            expires_at__lte=now,
        )
        for override in due.order_by("id"):
            before = override_representation(override=override)
            override.status = OverrideStatus.EXPIRED
            override.decided_at = override.decided_at or now
            override.save(update_fields=["status", "decided_at"])
            after = override_representation(override=override)
            audit_record(
                action="risk_override.expired",
                object_type="risk_override",
                object_id=override.pk,
                before=before,
                after=after,
                account_id=override.account_id,
            )
            risk_event_publish(
                account_id=override.account_id,
                event="risk.changed",
                data={"cause": "override", "override": after},
            )
            expired += 1
    return expired
