"""Writes: accounts, memberships, API keys; every change lands in the audit trail."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from access import crypto
from access.credential_cache import credential_cache_clear
from access.enums import ALL_SCOPES, ApiKeyScheme
from access.errors import AccessValidationError
from access.models import Account, ApiKey, Membership
from access.selectors import account_queryset_for, user_roles, user_scopes
from audit.services import audit_record
from kernel.api.ratelimit import rate_parse, rate_per_second
from kernel.publish import credential_revoked_publish

RATE_LIMIT_CLASSES = ("data", "trading")
# last_used_at is a hint, not a log: write it at most once per this interval per key.
LAST_USED_RESOLUTION = datetime.timedelta(seconds=60)


def _account_snapshot(account: Account) -> dict[str, Any]:
    return {
        "name": account.name,
        "base_currency": account.base_currency,
        "require_four_eyes": account.require_four_eyes,
    }


def _api_key_snapshot(api_key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": api_key.key_id,
        "name": api_key.name,
        "account_id": api_key.account_id,
        "user_id": api_key.user_id,
        "scheme": api_key.scheme,
        "scopes": list(api_key.scopes),
        "expires_at": api_key.expires_at,
        "allowed_ips": list(api_key.allowed_ips),
        "rate_limits": dict(api_key.rate_limits),
        "revoked_at": api_key.revoked_at,
    }


@transaction.atomic
def account_create(
    *, name: str, base_currency: str = "USD", require_four_eyes: bool = False
) -> Account:
    """Create a trading account."""
    account = Account.objects.create(
        name=name, base_currency=base_currency.upper(), require_four_eyes=require_four_eyes
    )
    audit_record(
        action="account.created",
        object_type="account",
        object_id=account.pk,
        after=_account_snapshot(account),
        account_id=account.pk,
    )
    return account


@transaction.atomic
def account_update(*, account: Account, **fields: Any) -> Account:
    """Change an account's name, base currency or four-eyes setting."""
    unknown = set(fields) - {"name", "base_currency", "require_four_eyes"}
    if unknown:
        raise AccessValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    before = _account_snapshot(Account.objects.get(pk=account.pk))
    for name, value in fields.items():
        setattr(account, name, value.upper() if name == "base_currency" else value)
    account.save(update_fields=[*fields])
    after = _account_snapshot(account)
    if after != before:
        audit_record(
            action="account.updated",
            object_type="account",
            object_id=account.pk,
            before=before,
            after=after,
            account_id=account.pk,
        )
    return account


@transaction.atomic
def membership_add(*, user: User, account: Account, is_default: bool = False) -> Membership:
    """Make `user` a member of `account` (idempotent); `is_default` moves the user's default."""
    if is_default:
        Membership.objects.filter(user=user, is_default=True).exclude(account=account).update(
            is_default=False
        )
    membership, created = Membership.objects.get_or_create(
        user=user, account=account, defaults={"is_default": is_default}
    )
    if not created and membership.is_default != is_default:
        membership.is_default = is_default
        membership.save(update_fields=["is_default"])
        audit_record(
            action="membership.updated",
            object_type="membership",
            object_id=membership.pk,
            before={"is_default": not is_default},
            after={"is_default": is_default},
            account_id=account.pk,
        )
    if created:
        audit_record(
            action="membership.created",
            object_type="membership",
            object_id=membership.pk,
            after={"user_id": user.pk, "account_id": account.pk, "is_default": is_default},
            account_id=account.pk,
        )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """End a membership. The user's keys on that account stop authenticating with it."""
    before = {
        "user_id": membership.user_id,
        "account_id": membership.account_id,
        "is_default": membership.is_default,
    }
    pk, account_id = membership.pk, membership.account_id
    membership.delete()
    audit_record(
        action="membership.deleted",
        object_type="membership",
        object_id=pk,
        before=before,
        account_id=account_id,
    )


def user_roles_change_record(*, user: User, before: Iterable[str], after: Iterable[str]) -> None:
    """Record a change of a user's roles (group membership) made through the admin."""
    before_roles, after_roles = sorted(before), sorted(after)
    if before_roles != after_roles:
        audit_record(
            action="user.roles_changed",
            object_type="user",
            object_id=user.pk,
            before={"roles": before_roles},
            after={"roles": after_roles},
        )


class Grantor:
    """Who asks for a key over the API, and so what the key may hold at most.

    A key may grant at most its own scopes and its own rate limits; a person (a dashboard
    session) at most their roles' scopes and the highest of their roles' rate ceilings
    (API_KEY_RATE_CEILINGS). The console (`create_api_key`, the admin) passes no grantor:
    an operator there is trusted with any rate.
    """

    def __init__(self, *, user: User, api_key: ApiKey | None):
        self.user = user
        self.api_key = api_key

    def scopes(self) -> frozenset[str]:
        held = user_scopes(self.user)
        if self.api_key is not None:
            held &= frozenset(self.api_key.scopes)
        return held

    def rate_ceiling(self, route_class: str) -> str | None:
        """The highest rate this grantor may give for `route_class`."""
        if self.api_key is not None:
            own = (self.api_key.rate_limits or {}).get(route_class)
            return own or settings.RATE_LIMITS[route_class]
        ceilings = [
            settings.API_KEY_RATE_CEILINGS.get(role, {}).get(route_class)
            for role in user_roles(self.user)
        ]
        rates = [rate for rate in ceilings if rate]
        return max(rates, key=rate_per_second) if rates else None


def _rate_errors(rate_limits: Any, grantor: Grantor | None) -> list[str]:
    if not isinstance(rate_limits, dict):
        return ['An object like {"data": "20/s"}.']
    errors = []
    for route_class, rate in rate_limits.items():
        try:
            if route_class not in RATE_LIMIT_CLASSES:
                raise ValueError(f"classes are {', '.join(RATE_LIMIT_CLASSES)}")
            rate_parse(str(rate))
        except ValueError as exc:
            errors.append(f"{route_class}: {rate} ({exc}; rates like 20/s, 100/m).")
            continue
        ceiling = grantor.rate_ceiling(route_class) if grantor is not None else None
        if grantor is not None and (
            ceiling is None or rate_per_second(str(rate)) > rate_per_second(ceiling)
        ):
            errors.append(f"{route_class}: {rate} is above what you may grant ({ceiling}).")
    return errors


def _validated_key_fields(
    *,
    user: User,
    scopes: Iterable[str] | None,
    expires_at: datetime.datetime | None,
    allowed_ips: Iterable[str] | None,
    rate_limits: dict[str, str] | None,
    grantor: Grantor | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Normalise the editable fields of a key; return (values, field errors)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if scopes is not None:
        scope_list = sorted(set(scopes))
        if not scope_list:
            errors["scopes"] = ["At least one scope is required."]
        elif unknown := [scope for scope in scope_list if scope not in ALL_SCOPES]:
            errors["scopes"] = [f"Unknown scope: {', '.join(unknown)}."]
        elif missing := [scope for scope in scope_list if scope not in user_scopes(user)]:
            errors["scopes"] = [f"The key's user does not hold: {', '.join(missing)}."]
        elif grantor is not None and (
            beyond := [scope for scope in scope_list if scope not in grantor.scopes()]
        ):
            errors["scopes"] = [f"You may not grant: {', '.join(beyond)}."]
        values["scopes"] = scope_list
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            errors["expires_at"] = ["Give a timezone (e.g. a trailing Z)."]
        elif expires_at <= timezone.now():
            errors["expires_at"] = ["Must be in the future."]
    values["expires_at"] = expires_at
    if allowed_ips is not None:
        networks = []
        for entry in allowed_ips:
            try:
                networks.append(str(ipaddress.ip_network(str(entry).strip(), strict=False)))
            except ValueError:
                errors.setdefault("allowed_ips", []).append(f"Not an IP or network: {entry}.")
        values["allowed_ips"] = networks
    if rate_limits is not None:
        if rate_errors := _rate_errors(rate_limits, grantor):
            errors["rate_limits"] = rate_errors
        if isinstance(rate_limits, dict):
            values["rate_limits"] = {str(k): str(v) for k, v in rate_limits.items()}
    return values, errors


def api_key_create_validate(
    *,
    user: User,
    account: Account | None,
    name: str,
    scopes: Iterable[str],
    scheme: str | None = None,
    public_key: str = "",
    expires_at: datetime.datetime | None = None,
    allowed_ips: Iterable[str] = (),
    rate_limits: dict[str, str] | None = None,
    grantor: Grantor | None = None,
) -> dict[str, Any]:
    """Check the fields of a new key; return them normalised or raise AccessValidationError."""
    scheme = scheme or (ApiKeyScheme.ED25519 if public_key else ApiKeyScheme.SIMPLE)
    values, errors = _validated_key_fields(
        user=user,
        scopes=scopes,
        expires_at=expires_at,
        allowed_ips=allowed_ips,
        rate_limits=rate_limits or {},
        grantor=grantor,
    )
    values["scheme"] = scheme
    values["name"] = (name or "").strip()
    if not values["name"]:
        errors["name"] = ["This field is required."]
    if scheme not in ApiKeyScheme.values:
        errors["scheme"] = [f"One of {', '.join(ApiKeyScheme.values)}."]
    if account is None:
        errors["account"] = ["This field is required."]
    elif not account_queryset_for(user).filter(pk=account.pk).exists():
        errors["account"] = ["The key's user cannot act on this account."]
    values["public_key"] = ""
    if scheme == ApiKeyScheme.ED25519:
        try:
            values["public_key"] = crypto.ed25519_public_key_normalize(public_key or "")
        except ValueError as exc:
            errors["public_key"] = [f"An Ed25519 public key (base64 of 32 bytes, or PEM): {exc}."]
    elif public_key:
        errors["public_key"] = ["Only Ed25519 keys take a public key."]
    if errors:
        raise AccessValidationError(errors)
    return values


@transaction.atomic
def api_key_create(
    *,
    user: User,
    account: Account,
    name: str,
    scopes: Iterable[str],
    scheme: str | None = None,
    public_key: str = "",
    expires_at: datetime.datetime | None = None,
    allowed_ips: Iterable[str] = (),
    rate_limits: dict[str, str] | None = None,
    grantor: Grantor | None = None,
) -> tuple[ApiKey, str | None]:
    """Create a key acting for `user` on `account`; return (key, secret).

    The secret is returned once and never stored in clear (None for Ed25519 keys, which are
    created from the client's public key). Scopes must be held by the user, and the user must be
    able to act on the account; a `grantor` (an API caller) grants at most what it holds.
    Raises AccessValidationError.
    """
    values = api_key_create_validate(
        user=user,
        account=account,
        name=name,
        scopes=scopes,
        scheme=scheme,
        public_key=public_key,
        expires_at=expires_at,
        allowed_ips=allowed_ips,
        rate_limits=rate_limits,
        grantor=grantor,
    )
    scheme = values.pop("scheme")
    secret = None if scheme == ApiKeyScheme.ED25519 else crypto.secret_new()
    api_key = ApiKey.objects.create(
        key_id=crypto.key_id_new(),
        account=account,
        user=user,
        scheme=scheme,
        secret_hash=crypto.secret_hash(secret) if secret and scheme == ApiKeyScheme.SIMPLE else "",
        secret_encrypted=(
            crypto.secret_encrypt(secret) if secret and scheme == ApiKeyScheme.HMAC else ""
        ),
        **values,
    )
    audit_record(
        action="api_key.created",
        object_type="api_key",
        object_id=api_key.pk,
        after=_api_key_snapshot(api_key),
        account_id=account.pk,
    )
    return api_key, secret


@transaction.atomic
def api_key_update(
    *,
    api_key: ApiKey,
    name: str | None = None,
    scopes: Iterable[str] | None = None,
    expires_at: datetime.datetime | None = None,
    allowed_ips: Iterable[str] | None = None,
    rate_limits: dict[str, str] | None = None,
) -> ApiKey:
    """Change a key's name, scopes, expiry, IP allowlist or rate limits (None keeps a field)."""
    values = api_key_update_validate(
        api_key=api_key,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
        allowed_ips=allowed_ips,
        rate_limits=rate_limits,
    )
    before = _api_key_snapshot(ApiKey.objects.get(pk=api_key.pk))
    for field, value in values.items():
        setattr(api_key, field, value)
    api_key.save(update_fields=[*values] or None)
    after = _api_key_snapshot(api_key)
    if after != before:
        audit_record(
            action="api_key.updated",
            object_type="api_key",
            object_id=api_key.pk,
            before=before,
            after=after,
            account_id=api_key.account_id,
        )
        # A socket's scopes are fixed when it authenticates: it reauthenticates with the new ones.
        credential_revoked_publish(kind="key", identifier=api_key.key_id)
    return api_key


def api_key_update_validate(
    *,
    api_key: ApiKey,
    name: str | None = None,
    scopes: Iterable[str] | None = None,
    expires_at: datetime.datetime | None = None,
    allowed_ips: Iterable[str] | None = None,
    rate_limits: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Check changed fields of a key; return them normalised or raise AccessValidationError."""
    values, errors = _validated_key_fields(
        user=api_key.user,
        scopes=scopes,
        expires_at=None,
        allowed_ips=allowed_ips,
        rate_limits=rate_limits,
    )
    values.pop("expires_at")
    if expires_at is not None:
        values["expires_at"] = expires_at
    if name is not None:
        if not name.strip():
            errors["name"] = ["This field is required."]
        values["name"] = name.strip()
    if errors:
        raise AccessValidationError(errors)
    return values


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key for good; revoking a revoked key changes nothing."""
    now = timezone.now()
    changed = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
    api_key.refresh_from_db(fields=["revoked_at"])
    if changed:
        # An UPDATE sends no signal: drop the cached copies here.
        credential_cache_clear()
        audit_record(
            action="api_key.revoked",
            object_type="api_key",
            object_id=api_key.pk,
            before={"revoked_at": None},
            after={"revoked_at": api_key.revoked_at},
            account_id=api_key.account_id,
        )
        credential_revoked_publish(kind="key", identifier=api_key.key_id)
    return api_key


def api_key_touch(*, api_key: ApiKey, now: datetime.datetime | None = None) -> bool:
    """Set last_used_at, at most once per minute per key; return whether a row was written.

    The condition is in the UPDATE itself, so concurrent requests write at most once.
    """
    now = now or timezone.now()
    threshold = now - LAST_USED_RESOLUTION
    if api_key.last_used_at is not None and api_key.last_used_at >= threshold:
        return False
    written = (
        ApiKey.objects.filter(pk=api_key.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=threshold))
        .update(last_used_at=now)
    )
    if written:
        api_key.last_used_at = now
    return bool(written)


@transaction.atomic
def auth_logout(*, user: User, refresh_token: RefreshToken) -> None:
    """Blacklist a refresh token of `user` (ending that login) and record it."""
    refresh_token.blacklist()
    # An access token names no login, so the user's JWT sockets all close; they reauthenticate.
    credential_revoked_publish(kind="user", identifier=user.pk)
    audit_record(
        action="auth.logged_out",
        object_type="user",
        object_id=user.pk,
        after={"jti": refresh_token.get("jti")},
    )
