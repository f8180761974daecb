"""Reads: who the caller is, what scopes they hold and which accounts they may see.

Every app that serves account data scopes its querysets with these:

    queryset = Order.objects.filter(account_id__in=account_ids_for(request))
    account = account_resolve(request)            # the `account` param, or the caller's default

`request` may be a DRF/Django request, a user, an `ApiKey`, or a Channels scope (a mapping with
"user" and, for key sockets, "api_key"). An API key sees exactly its own account; admins and
superusers see every account; other users see the accounts they are members of. An account the
caller cannot see is reported as 404 NOT_FOUND, never 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from access.enums import ALL_SCOPES, ROLE_SCOPES, Role
from access.errors import AccountRequired
from access.models import Account, ApiKey, Membership
from kernel.errors import ObjectNotFound
from kernel.ids import id_parse


def principal_get(request_or_principal: Any) -> tuple[Any, ApiKey | None]:
    """Return (user, api_key or None) behind a request, scope, user or key."""
    if isinstance(request_or_principal, ApiKey):
        return request_or_principal.user, request_or_principal
    if isinstance(request_or_principal, Mapping):
        return request_or_principal.get("user"), request_or_principal.get("api_key")
    if hasattr(request_or_principal, "META"):
        auth = getattr(request_or_principal, "auth", None)
        return request_or_principal.user, auth if isinstance(auth, ApiKey) else None
    return request_or_principal, None


def user_roles(user: User) -> list[str]:
    """Role names of a user, sorted; superusers count as admin."""
    if user is None or not user.is_authenticated:
        return []
    names = {name for name in user.groups.values_list("name", flat=True) if name in ROLE_SCOPES}
    if user.is_superuser:
        names.add(Role.ADMIN.value)
    return sorted(names)


def user_scopes(user: User, *, roles: list[str] | None = None) -> frozenset[str]:
    """Scopes granted by a user's roles (all of them for superusers)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_SCOPES
    scopes: set[str] = set()
    for role in user_roles(user) if roles is None else roles:
        scopes |= ROLE_SCOPES[role]
    return frozenset(scopes)


def roles_for(request_or_principal: Any) -> list[str]:
    """Role names of the user behind the caller, looked up once per request."""
    memo = getattr(request_or_principal, "_access_roles", None)
    if memo is not None:
        return memo
    user, api_key = principal_get(request_or_principal)
    # A key from the credential cache carries its owner's roles as read with it.
    # So does a user from the JWT user cache (access.credential_cache.user_cache).
    owner_roles = getattr(api_key if api_key is not None else user, "owner_roles", None)
    roles = list(owner_roles) if owner_roles is not None else user_roles(user)
    if hasattr(request_or_principal, "META"):
        request_or_principal._access_roles = roles
    return roles


def scopes_for(request_or_principal: Any) -> frozenset[str]:
    """Effective scopes of the caller.

    A key holds its own scopes, capped by its owner's current roles, so taking a role away from
    a user also takes it away from the user's keys.
    """
    cached = getattr(request_or_principal, "_access_scopes", None)
    if cached is not None:
        return cached
    user, api_key = principal_get(request_or_principal)
    scopes = user_scopes(user, roles=roles_for(request_or_principal))
    if api_key is not None:
        scopes = scopes & frozenset(api_key.scopes)
    if hasattr(request_or_principal, "META"):
        request_or_principal._access_scopes = scopes
    return scopes


def account_queryset_for(request_or_principal: Any) -> QuerySet[Account]:
    """Accounts the caller may act on."""
    user, api_key = principal_get(request_or_principal)
    if api_key is not None:
        return Account.objects.filter(pk=api_key.account_id)
    if user is None or not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if Role.ADMIN in roles_for(request_or_principal):
        return Account.objects.all()
    return Account.objects.filter(memberships__user=user)


def account_ids_for(request_or_principal: Any) -> QuerySet:
    """Ids of the accounts the caller may act on, as a lazy subquery for `account_id__in=`."""
    return account_queryset_for(request_or_principal).values_list("id", flat=True)


def account_get_for(request_or_principal: Any, account_id: Any) -> Account:
    """The account with this id if the caller may see it; else ObjectNotFound (404)."""
    try:
        pk = id_parse(account_id)
    except ValueError:
        pk = None
    account = account_queryset_for(request_or_principal).filter(pk=pk).first() if pk else None
    if account is None:
        raise ObjectNotFound(f"Account {account_id} not found")
    return account


def account_resolve(request: Any, account_param: Any = None) -> Account:
    """The account a request acts on.

    Uses `account_param` if given, else the `account` query or body parameter, else the caller's
    only account, else their default membership. Raises ObjectNotFound for an account the caller
    cannot see and AccountRequired when several are possible and none is named.
    """
    if account_param in (None, ""):
        account_param = _account_param(request)
    if account_param not in (None, ""):
        return account_get_for(request, account_param)
    user, api_key = principal_get(request)
    if api_key is not None:
        return api_key.account
    accounts = account_queryset_for(request)
    default = (
        Membership.objects.filter(user=user, is_default=True, account__in=accounts)
        .select_related("account")
        .first()
        if user is not None and user.is_authenticated
        else None
    )
    if default is not None:
        return default.account
    first_two = list(accounts[:2])
    if len(first_two) == 1:
        return first_two[0]
    if not first_two:
        raise ObjectNotFound("No account available to this credential")
    raise AccountRequired("Several accounts are available: name one with `account`")


def _account_param(request: Any) -> Any:
    query = getattr(request, "query_params", None) or getattr(request, "GET", None) or {}
    if query.get("account") not in (None, ""):
        return query.get("account")
    data = getattr(request, "data", None)
    if isinstance(data, Mapping):
        return data.get("account")
    return None


def api_key_list_for(request_or_principal: Any) -> QuerySet[ApiKey]:
    """API keys of the accounts the caller may see, newest last."""
    return ApiKey.objects.filter(
        account_id__in=account_ids_for(request_or_principal)
    ).select_related("account", "user")


def api_key_get_for(request_or_principal: Any, pk: Any) -> ApiKey:
    """One key of a visible account, else ObjectNotFound (404, also for other accounts' keys)."""
    try:
        return api_key_list_for(request_or_principal).get(pk=id_parse(pk))
    except (ApiKey.DoesNotExist, ValueError) as exc:
        raise ObjectNotFound(f"API key {pk} not found") from exc


def api_key_get_by_key_id(*, key_id: str) -> ApiKey | None:
    """The key with this public id, with its owner and account, or None."""
    return ApiKey.objects.select_related("user", "account").filter(key_id=key_id).first()
