"""Signed checkpoints find what the bare chain cannot: a rewrite with recomputed hashes, and a
truncated tail."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.anchors import audit_anchor_write, audit_anchors_verify
from audit.models import AuditEntry
from audit.services import GENESIS_HASH, audit_chain_verify, audit_record, entry_hash
from audit.tests.test_audit import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchors(settings, tmp_path):
    settings.AUDIT_ANCHOR_KEY = "k" * 48
    settings.AUDIT_ANCHOR_PATH = str(tmp_path / "anchors.jsonl")
    return tmp_path / "anchors.jsonl"


def _rows(n: int) -> list[AuditEntry]:
    return [audit_record(action="a.b", object_type="x", object_id=i) for i in range(n)]


def _rewrite_from(seq: int) -> None:
    """Change the row at `seq` and recompute every later hash, as someone with write access to
    the table could."""
    tamper("UPDATE audit_auditentry SET action = 'forged' WHERE seq = %s", [seq])
    prev_hash = GENESIS_HASH
    for entry in AuditEntry.objects.order_by("seq"):
        if entry.seq >= seq:
            new_hash = entry_hash(prev_hash=prev_hash, entry=entry)
            tamper(
                "UPDATE audit_auditentry SET prev_hash = %s, hash = %s WHERE id = %s",
                [prev_hash, new_hash, entry.id],
            )
            prev_hash = new_hash
        else:
            prev_hash = entry.hash


def test_a_rewrite_with_recomputed_hashes_passes_the_chain_but_not_the_checkpoint(anchors):
    _rows(5)
    checkpoint = audit_anchor_write()
    assert checkpoint is not None
    assert checkpoint.seq == 5
    _rewrite_from(2)

    assert audit_chain_verify().intact is True  # the chain alone is fooled
    result = audit_anchors_verify()
    assert result.intact is False
    assert result.reason == "row seq 5 was rewritten after checkpoint 1"


def test_a_truncated_tail_is_found(anchors):
    _rows(4)
    audit_anchor_write()
    tamper("DELETE FROM audit_auditentry WHERE seq >= %s", [3])

    assert audit_chain_verify().intact is True
    assert audit_anchors_verify().reason == "the chain was truncated: row seq 4 is gone"


def test_a_forged_checkpoint_is_found(anchors):
    _rows(2)
    audit_anchor_write()
    anchors.write_text(anchors.read_text().replace('"seq": 2', '"seq": 1'))
    assert audit_anchors_verify().reason == "checkpoint 1 has a bad signature"


def test_checkpoints_accumulate_and_verify(anchors, capsys):
    _rows(2)
    audit_anchor_write()
    _rows(3)
    call_command("audit_anchor")
    call_command("verify_audit")
    assert len(anchors.read_text().splitlines()) == 2
    assert "audit checkpoints intact: 2 checked" in capsys.readouterr().out


def test_verify_audit_fails_on_a_rewrite(anchors):
    _rows(3)
    audit_anchor_write()
    _rewrite_from(1)
    with pytest.raises(CommandError, match="rewritten"):
        call_command("verify_audit")
