"""An in-process cache of credentials as authentication needs them: an API key with its owner's
roles and whether the owner still acts on the key's account; for a JWT, the user behind the
token's id with the user's roles.

Entries live `AUTH_CACHE_TTL_S` (1 s by default): a revoke, rotation, role or membership change
made by another process takes effect within that bound; in the process that makes it, at once
(the services and the model signals clear the cache). Only keys read from the database are
cached, never a verdict: every request still checks the secret or signature, the revocation,
expiry, owner, allowlist and replay against the entry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from access.models import ApiKey
from access.selectors import account_queryset_for, api_key_get_by_key_id, user_roles


@dataclass(frozen=True)
class CachedKey:
    """One key as read at `read_at` (monotonic seconds)."""

    api_key: ApiKey
    roles: tuple[str, ...]
    acts_on_account: bool
    read_at: float


class CredentialCache:
    """Key id -> CachedKey for `ttl_s` seconds; `clock` (monotonic seconds) is injectable."""

    def __init__(self, *, ttl_s: float | None = None, clock: Callable[[], float] = time.monotonic):
        self._ttl_s = ttl_s
        self.clock = clock
        self._entries: dict[str, CachedKey] = {}
        self._lock = threading.Lock()

    @property
    def ttl_s(self) -> float:
        return settings.AUTH_CACHE_TTL_S if self._ttl_s is None else self._ttl_s

    def get(self, key_id: str) -> CachedKey | None:
        """Return the key with this public id (from the cache while fresh), or None if unknown."""
        now = self.clock()
        entry = self._entries.get(key_id)
        if entry is not None and now - entry.read_at < self.ttl_s:
            return entry
        api_key = api_key_get_by_key_id(key_id=key_id)
        if api_key is None:
            # Unknown ids are not remembered: a flood of made-up ids must not fill memory.
            self._entries.pop(key_id, None)
            return None
        roles = tuple(user_roles(api_key.user))
        # What roles_for() answers for a request made with this key, without a query.
        api_key.owner_roles = roles
        entry = CachedKey(
            api_key=api_key,
            roles=roles,
            acts_on_account=account_queryset_for(api_key.user)
            .filter(pk=api_key.account_id)
            .exists(),
            read_at=now,
        )
        if self.ttl_s > 0:
            with self._lock:
                self._entries[key_id] = entry
        return entry

    def clear(self) -> None:
        """Forget every entry (a credential, role or membership changed in this process)."""
        with self._lock:
            self._entries.clear()


credential_cache = CredentialCache()


@dataclass(frozen=True)
class CachedUser:
    """One user as read at `read_at` (monotonic seconds), with the roles read with it."""

    user: User
    roles: tuple[str, ...]
    read_at: float


class UserCache:
    """User id -> CachedUser, on the credential cache's TTL and clock (one bound for both)."""

    def __init__(self) -> None:
        self._entries: dict[int | str, CachedUser] = {}
        self._lock = threading.Lock()

    def get(self, user_id: int | str) -> User | None:
        """The user with this id (from the cache while fresh), or None if there is none; the user
        carries its roles as `owner_roles`, which `roles_for` answers without a query."""
        now = credential_cache.clock()
        ttl_s = credential_cache.ttl_s
        entry = self._entries.get(user_id)
        if entry is not None and now - entry.read_at < ttl_s:
            return entry.user
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            self._entries.pop(user_id, None)
            return None
        roles = tuple(user_roles(user))
        user.owner_roles = roles  # type: ignore[attr-defined]
        if ttl_s > 0:
            with self._lock:
                self._entries[user_id] = CachedUser(user=user, roles=roles, read_at=now)
        return user

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


user_cache = UserCache()


def _caches_clear() -> None:
    credential_cache.clear()
    user_cache.clear()


def credential_cache_clear(**_signal_arguments) -> None:
    """Clear this process's credential cache now and once the surrounding transaction commits
    (a request between the two could cache the old row again); also a signal receiver."""
    _caches_clear()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_caches_clear)
