"""An in-process cache of API keys as authentication needs them: the key, its owner's roles, and
whether the owner still acts on the key's account.

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


def credential_cache_clear(**_signal_arguments) -> None:
    """Clear this process's credential cache now and once the surrounding transaction commits
    (a request between the two could cache the old row again); also a signal receiver."""
    credential_cache.clear()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(credential_cache.clear)
