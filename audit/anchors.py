"""Checkpoints of the audit chain, signed with a key the database does not hold.

The hash chain finds a changed or deleted row, but not a rewrite: someone who can write the
table can recompute every later hash, and the chain verifies again. A checkpoint records the
chain's head (`seq`, `hash`) with an HMAC under `AUDIT_ANCHOR_KEY`, in a file the web role
cannot write (`AUDIT_ANCHOR_PATH`; run `manage.py audit_anchor` from cron as another user).
Verification then also requires, for every checkpoint, a valid signature, the same hash at that
`seq`, and a chain that still reaches the last checkpoint: a rewrite before a checkpoint and a
truncated tail are found. Rows after the last checkpoint are protected by the chain alone, so
the checkpoint interval bounds what a rewrite can hide.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import json
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from audit.models import AuditEntry
from audit.services import audit_chain_settle


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    signature: str


@dataclasses.dataclass(frozen=True)
class AnchorVerification:
    intact: bool
    checkpoints: int
    reason: str = ""


def _key() -> bytes:
    key = getattr(settings, "AUDIT_ANCHOR_KEY", "")
    if not key:
        raise ImproperlyConfigured("AUDIT_ANCHOR_KEY is not set")
    return key.encode()


def _signature(seq: int, entry_hash: str, at: str) -> str:
    message = f"{seq}:{entry_hash}:{at}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _head() -> AuditEntry | None:
    return AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").only("seq", "hash").first()


def audit_anchor_write(*, path: Path | None = None) -> Checkpoint | None:
    """Sign the chain's head and append it to the checkpoint file; None for an empty chain."""
    audit_chain_settle()  # rows committed but not chained yet (PostgreSQL) belong to the head
    head = _head()
    if head is None or head.seq is None or head.hash is None:
        return None
    at = datetime.datetime.now(datetime.UTC).isoformat()
    checkpoint = Checkpoint(
        seq=head.seq, hash=head.hash, at=at, signature=_signature(head.seq, head.hash, at)
    )
    target = Path(path or settings.AUDIT_ANCHOR_PATH)
    line = json.dumps(dataclasses.asdict(checkpoint), sort_keys=True) + "\n"
    # O_APPEND: checkpoints are only ever added, never rewritten, whoever else appends.
    descriptor = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)
    return checkpoint


def _checkpoints(path: Path) -> list[Checkpoint]:
    if not path.exists():
        return []
    return [
        Checkpoint(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()
    ]


def audit_anchors_verify(*, path: Path | None = None) -> AnchorVerification:
    """Check every checkpoint against its signature and the chain; the first problem wins."""
    audit_chain_settle()
    checkpoints = _checkpoints(Path(path or settings.AUDIT_ANCHOR_PATH))
    for number, checkpoint in enumerate(checkpoints, start=1):
        expected = _signature(checkpoint.seq, checkpoint.hash, checkpoint.at)
        if not hmac.compare_digest(expected, checkpoint.signature):
            return AnchorVerification(False, number, f"checkpoint {number} has a bad signature")
        stored = AuditEntry.objects.filter(seq=checkpoint.seq).values_list("hash", flat=True)
        found = stored.first()
        if found is None:
            return AnchorVerification(
                False, number, f"the chain was truncated: row seq {checkpoint.seq} is gone"
            )
        if found != checkpoint.hash:
            return AnchorVerification(
                False, number, f"row seq {checkpoint.seq} was rewritten after checkpoint {number}"
            )
    return AnchorVerification(True, len(checkpoints))
