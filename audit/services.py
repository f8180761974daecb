"""Writes to the audit trail: append a hash-chained row, verify the chain."""

import datetime
import decimal
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.chainer import Chainer
from audit.context import Actor, actor_current
from audit.enums import AuditKind
from audit.models import AuditEntry
from kernel.db.insert import rows_insert
from kernel.decimals import decimal_text

GENESIS_HASH = "0" * 64

# Fields covered by a row's hash, besides `prev_hash`; `id` and `hash` are not content.
HASHED_FIELDS = (
    "seq",
    "created_at",
    "kind",
    "action",
    "object_type",
    "object_id",
    "account_id",
    "actor_id",
    "actor_username",
    "credential",
    "method",
    "path",
    "status_code",
    "ip",
    "request_id",
    "params",
    "duration_ms",
    "before",
    "after",
)


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return decimal_text(value)
    if isinstance(value, datetime.datetime):
        return _iso(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _iso(value: datetime.datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value.astimezone(datetime.UTC).isoformat()


def canonical_json(value: Any) -> str:
    """Return deterministic JSON text of `value`: sorted keys, no spaces, Decimals as strings."""
    return json.dumps(
        value, default=_json_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def _without_nul(value: Any) -> Any:
    # PostgreSQL cannot store U+0000 in text or jsonb; the replacement character keeps the row.
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(name): _without_nul(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def json_safe(value: Any) -> Any:
    """Return `value` as plain JSON types (Decimal, datetime, UUID become strings).

    Stored JSON must read back exactly as it was hashed, whatever the database does with it.
    """
    if value is None:
        return None
    return _without_nul(json.loads(canonical_json(value)))


def entry_content(entry: AuditEntry) -> dict[str, Any]:
    """Return the row's hashed content as plain JSON types."""
    content = {name: getattr(entry, name) for name in HASHED_FIELDS}
    content["created_at"] = _iso(entry.created_at)
    return content


def entry_hash(*, prev_hash: str, entry: AuditEntry) -> str:
    """Return sha256(prev_hash + canonical JSON of the row's content) as hex."""
    payload = prev_hash + canonical_json(entry_content(entry))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _chain_lock() -> None:
    """Serialize chaining until the surrounding transaction ends.

    PostgreSQL: a transaction-scoped advisory lock, taken only by the chainer, never by a
    request. SQLite: the IMMEDIATE transaction mode has already taken the database write lock at
    BEGIN, which serializes writers.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [settings.AUDIT_CHAIN_LOCK_KEY])


_CHAIN_HEAD_SQL = (
    "SELECT seq, hash FROM audit_auditentry WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
)
_CHAIN_LINK_SQL = "UPDATE audit_auditentry SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s"


def _chain_pending(*, batch: int) -> list[AuditEntry]:
    # The chainer's loop runs this at the rate rows are written, so it speaks SQL for the head
    # and the update: the ORM's bulk_update compiles a CASE per field and row, several
    # milliseconds a pass. The hash itself is computed from model instances, as everywhere.
    with transaction.atomic(savepoint=False):
        _chain_lock()
        with connection.cursor() as cursor:
            cursor.execute(_CHAIN_HEAD_SQL)
            head = cursor.fetchone()
        pending = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:batch])
        seq: int = head[0] if head else 0
        prev_hash: str = (head[1] or GENESIS_HASH) if head else GENESIS_HASH
        for entry in pending:
            seq += 1
            entry.seq, entry.prev_hash = seq, prev_hash
            entry.hash = prev_hash = entry_hash(prev_hash=prev_hash, entry=entry)
        if pending:
            with connection.cursor() as cursor:
                cursor.executemany(
                    _CHAIN_LINK_SQL,
                    [(entry.seq, entry.prev_hash, entry.hash, entry.pk) for entry in pending],
                )
    return pending


def audit_chain_extend(*, batch: int = 1000) -> int:
    """Give the next unchained rows, in the order they were written, their `seq`, `prev_hash` and
    `hash`; return how many were chained (at most `batch`).

    Only committed rows (and the caller's own) are visible, so a row that commits late is
    chained after the rows that committed before it: `seq` is the order of the chain, not of
    the clock.
    """
    return len(_chain_pending(batch=batch))


def audit_chain_settle(*, batch: int = 1000) -> None:
    """Chain every committed row now (readers of the chain call it first)."""
    while audit_chain_extend(batch=batch) == batch:
        pass


_chainer = Chainer(
    settle=audit_chain_settle,
    interval_s=lambda: settings.AUDIT_CHAINER_INTERVAL_S,
    coalesce_s=lambda: settings.AUDIT_CHAINER_COALESCE_S,
)


def _chainer_wake() -> None:
    if settings.AUDIT_CHAINER_THREAD:
        _chainer.wake()


def _entry_new(*, actor: Actor, **fields: Any) -> AuditEntry:
    return AuditEntry(
        created_at=timezone.now(),
        actor_id=actor.actor_id,
        actor_username=_without_nul(actor.username),
        credential=_without_nul(actor.credential),
        ip=actor.ip,
        request_id=actor.request_id,
        **{name: _without_nul(value) for name, value in fields.items()},
    )


def _insert(entries: list[AuditEntry]) -> list[AuditEntry]:
    # One INSERT and no lock: the chainer links the rows once they have committed.
    rows_insert(entries)
    if connection.vendor == "postgresql":
        transaction.on_commit(_chainer_wake)
        return entries
    # SQLite serializes writers already; chaining in the transaction costs no concurrency.
    chained = {entry.pk: entry for entry in _chain_pending(batch=1000)}
    for entry in entries:
        if entry.pk in chained:
            link = chained[entry.pk]
            entry.seq, entry.prev_hash, entry.hash = link.seq, link.prev_hash, link.hash
    return entries


def _append(*, actor: Actor, **fields: Any) -> AuditEntry:
    return _insert([_entry_new(actor=actor, **fields)])[0]


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: str | int | None,
    before: dict | None = None,
    after: dict | None = None,
    account_id: int | None = None,
) -> AuditEntry:
    """Append a domain state change to the chain and return the row.

    Call it inside the transaction that makes the change, so both commit or neither does. The actor,
    credential, ip and request id come from the current request ("system" outside one).
    """
    return _append(
        actor=actor_current(),
        **_state_change(action, object_type, object_id, before, after, account_id),
    )


def _state_change(
    action: str,
    object_type: str,
    object_id: str | int | None,
    before: dict | None,
    after: dict | None,
    account_id: int | None,
) -> dict[str, Any]:
    return {
        "kind": AuditKind.STATE_CHANGE,
        "action": action,
        "object_type": object_type,
        "object_id": "" if object_id is None else str(object_id),
        "account_id": account_id,
        "before": json_safe(before),
        "after": json_safe(after),
    }


def audit_record_many(records: list[dict[str, Any]]) -> list[AuditEntry]:
    """Append several state changes of one transaction in one INSERT, in the order given.

    Each record takes `audit_record`'s keyword arguments. The chain orders them as listed.
    """
    actor = actor_current()
    return _insert(
        [
            _entry_new(
                actor=actor,
                **_state_change(
                    record["action"],
                    record["object_type"],
                    record.get("object_id"),
                    record.get("before"),
                    record.get("after"),
                    record.get("account_id"),
                ),
            )
            for record in records
        ]
    )


def audit_api_call_record(
    *,
    actor: Actor,
    action: str,
    method: str,
    path: str,
    status_code: int,
    params: dict | None,
    duration_ms: int,
) -> AuditEntry:
    """Append one API call (already redacted parameters) to the chain and return the row."""
    return _append(
        actor=actor,
        kind=AuditKind.API_CALL,
        action=action,
        method=method,
        path=path[:2000],
        status_code=status_code,
        params=json_safe(params),
        duration_ms=duration_ms,
    )


@dataclass(frozen=True)
class ChainVerification:
    """Outcome of walking the chain: where it first breaks and why, if it does."""

    intact: bool
    checked: int
    first_broken_id: int | None
    reason: str


def audit_chain_verify() -> ChainVerification:
    """Chain what has committed, walk the whole chain in order and return whether it is intact,
    or its first broken row.

    A row is broken when its sequence number skips (a deleted row), its `prev_hash` is not the
    previous row's hash, or its stored hash does not match its content.
    """
    audit_chain_settle()
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    chained = AuditEntry.objects.filter(seq__isnull=False).order_by("seq")
    for entry in chained.iterator(chunk_size=2000):
        checked += 1
        reason = ""
        if entry.seq != expected_seq:
            reason = f"sequence gap: expected {expected_seq}, found {entry.seq}"
        elif entry.prev_hash != prev_hash:
            reason = "prev_hash does not match the previous row's hash"
        elif entry.hash != entry_hash(prev_hash=prev_hash, entry=entry):
            reason = "hash does not match the row's content"
        if reason:
            return ChainVerification(
                intact=False, checked=checked, first_broken_id=entry.id, reason=reason
            )
        prev_hash = entry.hash or ""
        expected_seq += 1
    return ChainVerification(intact=True, checked=checked, first_broken_id=None, reason="")
