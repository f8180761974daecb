"""Audit trail: rows for calls and changes, the hash chain, verification and the admin API."""

import decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from audit.enums import AuditKind
from audit.models import AuditEntry
from audit.services import (
    GENESIS_HASH,
    audit_chain_settle,
    audit_chain_verify,
    audit_record,
    entry_hash,
)
from idempotency.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trader():
    return UserFactory(username="tina", roles=["trader"])


@pytest.fixture
def client(trader):
    api = APIClient()
    api.force_authenticate(trader)
    return api


@pytest.fixture
def admin_client(admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)
    return api


def tamper(sql: str, params: list) -> None:
    """Run `sql` behind the application's back (past the append-only trigger on PostgreSQL)."""
    is_postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if is_postgres:
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)
        if is_postgres:
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


def flip_one_byte(entry_id: int) -> None:
    """Change one character of a stored row."""
    tamper("UPDATE audit_auditentry SET action = 'order.cancelez' WHERE id = %s", [entry_id])


def test_record_outside_a_request_is_the_system_actor_and_starts_the_chain():
    entry = audit_record(
        action="order.canceled",
        object_type="order",
        object_id=7,
        before={"status": "open", "price": decimal.Decimal("101.50")},
        after={"status": "canceled", "price": decimal.Decimal("101.50")},
        account_id=3,
    )
    audit_chain_settle()

    entry.refresh_from_db()
    assert entry.seq == 1
    assert entry.kind == AuditKind.STATE_CHANGE
    assert entry.actor_username == "system"
    assert entry.actor_id is None
    assert entry.credential == "system"
    assert entry.object_id == "7"
    assert entry.account_id == 3
    assert entry.before == {"status": "open", "price": "101.5"}
    assert entry.after == {"status": "canceled", "price": "101.5"}
    assert entry.prev_hash == GENESIS_HASH
    assert entry.hash == entry_hash(prev_hash=GENESIS_HASH, entry=entry)


def test_each_row_chains_to_the_previous_hash():
    first = audit_record(action="a.one", object_type="x", object_id=1)
    second = audit_record(action="a.two", object_type="x", object_id=2)
    audit_chain_settle()
    first.refresh_from_db()
    second.refresh_from_db()

    assert second.seq == 2
    assert second.prev_hash == first.hash
    assert audit_chain_verify().intact is True
    assert audit_chain_verify().checked == 2


@pytest.mark.urls("idempotency.tests.urls")
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_every_mutating_call_leaves_an_api_row(client, trader, method):
    response = getattr(client, method)(
        "/api/test/effects?dry=1",
        {"name": "a", "password": "hunter2", "nested": {"refresh_token": "abc", "qty": "1.5"}},
        format="json",
        HTTP_X_REQUEST_ID="req-123",
    )

    row = AuditEntry.objects.get(kind=AuditKind.API_CALL)
    assert row.action == "api.request"
    assert row.method == method.upper()
    assert row.path == "/api/test/effects"
    assert row.status_code == response.status_code
    assert row.actor_id == trader.pk
    assert row.actor_username == "tina"
    assert row.credential == "session"
    assert row.request_id == "req-123"
    assert row.ip == "127.0.0.1"
    assert row.duration_ms >= 0
    assert row.params == {
        "query": {"dry": "1"},
        "body": {
            "name": "a",
            "password": "[REDACTED]",
            "nested": {"refresh_token": "[REDACTED]", "qty": "1.5"},
        },
    }


@pytest.mark.urls("idempotency.tests.urls")
def test_state_change_inside_a_call_is_attributed_to_the_caller(client, trader):
    client.post("/api/test/effects", {"name": "a"}, format="json", HTTP_X_REQUEST_ID="req-9")

    change = AuditEntry.objects.get(action="test.effect")
    assert change.actor_id == trader.pk
    assert change.credential == "session"
    assert change.request_id == "req-9"
    assert change.after == {"name": "a"}


@pytest.mark.urls("idempotency.tests.urls")
def test_reads_are_not_audited(client):
    client.get("/api/test/data")

    assert AuditEntry.objects.count() == 0


@pytest.mark.urls("idempotency.tests.urls")
def test_failed_authentication_is_audited():
    response = APIClient().get("/api/test/data", HTTP_AUTHORIZATION="Api-Key nope.nope")

    row = AuditEntry.objects.get()
    assert response.status_code == 401
    assert row.action == "auth.failed"
    assert row.status_code == 401
    assert row.actor_username == "anonymous"
    assert row.actor_id is None


@pytest.mark.urls("idempotency.tests.urls")
def test_call_lacking_scope_is_audited_as_denied():
    viewer = APIClient()
    viewer.force_authenticate(UserFactory(roles=["viewer"]))

    response = viewer.post("/api/test/effects", {"name": "a"}, format="json")

    assert response.status_code == 403
    assert list(AuditEntry.objects.values_list("action", "status_code")) == [("auth.denied", 403)]


def test_flipping_one_byte_is_detected_at_that_row():
    entries = [
        audit_record(action="order.canceled", object_type="order", object_id=i) for i in range(5)
    ]
    audit_chain_settle()
    flip_one_byte(entries[2].id)

    result = audit_chain_verify()

    assert result.intact is False
    assert result.first_broken_id == entries[2].id
    assert result.checked == 3
    assert result.reason == "hash does not match the row's content"


def test_rewritten_hash_is_detected_at_the_next_row():
    entries = [audit_record(action="a.b", object_type="x", object_id=i) for i in range(3)]
    audit_chain_settle()
    tamper("UPDATE audit_auditentry SET hash = %s WHERE id = %s", ["f" * 64, entries[1].id])

    result = audit_chain_verify()

    assert result.first_broken_id == entries[1].id


def test_deleted_row_is_detected_at_the_row_after_the_gap():
    entries = [audit_record(action="a.b", object_type="x", object_id=i) for i in range(3)]
    audit_chain_settle()
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].id])

    result = audit_chain_verify()

    assert result.first_broken_id == entries[2].id
    assert result.reason == "sequence gap: expected 2, found 3"


def test_verify_audit_command_reports_intact(capsys):
    audit_record(action="a.b", object_type="x", object_id=1)

    call_command("verify_audit")

    assert capsys.readouterr().out == "audit chain intact: 1 rows checked\n"


def test_verify_audit_command_exits_1_naming_the_broken_row():
    entries = [audit_record(action="a.b", object_type="x", object_id=i) for i in range(2)]
    audit_chain_settle()
    flip_one_byte(entries[1].id)

    with pytest.raises(CommandError) as raised:
        call_command("verify_audit")

    assert raised.value.returncode == 1
    assert f"broken at row id {entries[1].id}" in str(raised.value)


def test_verify_endpoint_reports_the_first_broken_row(admin_client):
    entries = [audit_record(action="a.b", object_type="x", object_id=i) for i in range(2)]
    audit_chain_settle()
    flip_one_byte(entries[0].id)

    response = admin_client.get("/api/v1/audit/verify")

    assert response.status_code == 200
    assert response.json() == {
        "intact": False,
        "checked": 1,
        "first_broken_id": entries[0].id,
        "reason": "hash does not match the row's content",
    }


def test_verify_endpoint_reports_intact(admin_client):
    audit_record(action="a.b", object_type="x", object_id=1)

    response = admin_client.get("/api/v1/audit/verify")

    assert response.json() == {"intact": True, "checked": 1, "first_broken_id": None, "reason": ""}


def test_audit_endpoints_need_the_admin_scope(client):
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get("/api/v1/audit/verify").status_code == 403
    assert APIClient().get("/api/v1/audit").status_code == 401


def test_audit_list_filters_by_action_object_and_actor(admin_client, admin_user):
    audit_record(action="order.created", object_type="order", object_id=1)
    wanted = audit_record(action="order.canceled", object_type="order", object_id=2)
    audit_record(action="order.canceled", object_type="fill", object_id=2)
    audit_chain_settle()
    wanted.refresh_from_db()

    by_object = admin_client.get("/api/v1/audit", {"object": "order:2"}).json()["results"]
    by_type = admin_client.get("/api/v1/audit", {"object": "order"}).json()["results"]
    by_action = admin_client.get("/api/v1/audit", {"action": "order.canceled"}).json()["results"]
    by_actor = admin_client.get("/api/v1/audit", {"actor": "system"}).json()["results"]

    assert [row["id"] for row in by_object] == [wanted.id]
    assert [row["object_id"] for row in by_type] == ["2", "1"]
    assert [row["object_type"] for row in by_action] == ["fill", "order"]
    assert len(by_actor) == 3
    assert by_object[0]["hash"] == wanted.hash
    assert by_object[0]["actor"] == "system"


def test_audit_list_filters_by_time(admin_client):
    early = audit_record(action="a.b", object_type="x", object_id=1)
    late = audit_record(action="a.b", object_type="x", object_id=2)

    from_late = admin_client.get("/api/v1/audit", {"from": late.created_at.isoformat()}).json()
    to_late = admin_client.get("/api/v1/audit", {"to": late.created_at.isoformat()}).json()

    assert [row["id"] for row in from_late["results"]] == [late.id]
    assert [row["id"] for row in to_late["results"]] == [early.id]


def test_audit_list_rejects_a_bad_time(admin_client):
    response = admin_client.get("/api/v1/audit", {"from": "yesterday"})

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "fields": {"from": ["Must be an ISO 8601 datetime with a time zone."]}
    }


def test_audit_list_is_cursor_paginated(admin_client):
    for i in range(3):
        audit_record(action="a.b", object_type="x", object_id=i)

    page = admin_client.get("/api/v1/audit", {"limit": 2}).json()
    rest = admin_client.get(page["next"]).json()

    assert [row["object_id"] for row in page["results"]] == ["2", "1"]
    assert [row["object_id"] for row in rest["results"]] == ["0"]
    assert rest["next"] is None


def test_admin_lists_audit_rows_read_only(admin_user, client):
    audit_record(action="a.b", object_type="x", object_id=1)
    entry = AuditEntry.objects.get(action="a.b")
    browser = APIClient()
    browser.force_login(admin_user)

    listing = browser.get("/admin/audit/auditentry/?kind__exact=state_change")
    detail = browser.get(f"/admin/audit/auditentry/{entry.id}/change/")
    add = browser.get("/admin/audit/auditentry/add/")
    delete = browser.get(f"/admin/audit/auditentry/{entry.id}/delete/")

    assert listing.status_code == 200
    assert b"a.b" in listing.content
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert add.status_code == 403
    assert delete.status_code == 403
