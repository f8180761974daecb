"""Audit trail on PostgreSQL: the append-only trigger, tamper detection, concurrent appends."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry
from audit.services import audit_chain_settle, audit_chain_verify, audit_record

pytestmark = pytest.mark.services


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_trigger_refuses_update_and_delete(statement):
    entry = audit_record(action="order.canceled", object_type="order", object_id=1)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.id])

    entry.refresh_from_db()
    assert entry.action == "order.canceled"


@pytest.mark.django_db
def test_flipping_one_byte_is_detected_at_that_row():
    entries = [
        audit_record(action="order.canceled", object_type="order", object_id=i) for i in range(5)
    ]
    # The chainer's pass after commit; an edit before it is what the trigger refuses.
    audit_chain_settle()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(
            "UPDATE audit_auditentry SET action = 'order.cancelez' WHERE id = %s", [entries[3].id]
        )
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")

    result = audit_chain_verify()

    assert result.intact is False
    assert result.first_broken_id == entries[3].id
    assert result.checked == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_stay_chained():
    writers, rows_each = 8, 25
    start = threading.Barrier(writers)
    errors: list[Exception] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for row in range(rows_each):
                audit_record(
                    action="test.append", object_type="writer", object_id=f"{writer}:{row}"
                )
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    result = audit_chain_verify()
    assert errors == []
    assert result.intact is True
    assert result.checked == writers * rows_each
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, writers * rows_each + 1)
    )


@pytest.mark.django_db
def test_a_request_appends_without_chaining_and_the_chainer_links_rows_in_write_order():
    first = audit_record(action="order.canceled", object_type="order", object_id=1)
    second = audit_record(action="order.canceled", object_type="order", object_id=2)
    assert (first.seq, first.hash, second.seq, second.hash) == (None, None, None, None)

    audit_chain_settle()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert audit_chain_verify().intact is True


@pytest.mark.django_db
def test_the_trigger_lets_the_chain_columns_be_set_once_and_nothing_else():
    entry = audit_record(action="order.canceled", object_type="order", object_id=1)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_auditentry SET seq = 1, hash = %s, action = 'x' WHERE id = %s",
            ["f" * 64, entry.id],
        )
    audit_chain_settle()
    entry.refresh_from_db()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_auditentry SET seq = 7, hash = %s WHERE id = %s", ["f" * 64, entry.id]
        )

    entry.refresh_from_db()
    assert (entry.seq, entry.action) == (1, "order.canceled")
