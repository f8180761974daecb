"""Operation endpoints: list with filters, detail, metrics, cancel; scoping and errors."""

import json

import pytest

from operations.models import Operation
from operations.services import (
    operation_complete,
    operation_create,
    operation_progress_record,
)
from operations.tests.helpers import running

pytestmark = pytest.mark.django_db


def _error(response):
    body = response.json()["error"]
    return response.status_code, body["code"]


def test_list_newest_first_with_status_and_type_filters(client, account, other_account):
    first = operation_create(account=account, type="backtest")
    second = running(account=account)
    operation_create(account=other_account, type="backtest")
    body = client.get("/api/v1/operations").json()
    assert [o["id"] for o in body["results"]] == [second.pk, first.pk]
    assert body["next"] is None
    only_running = client.get("/api/v1/operations?status=RUNNING").json()["results"]
    assert [o["id"] for o in only_running] == [second.pk]
    by_type = client.get("/api/v1/operations?type=backtest").json()["results"]
    assert [o["id"] for o in by_type] == [first.pk]


def test_list_pages_with_a_cursor_and_filters_by_time(client, account):
    created = [operation_create(account=account, type="t") for _ in range(3)]
    page = client.get("/api/v1/operations?limit=2").json()
    assert [o["id"] for o in page["results"]] == [created[2].pk, created[1].pk]
    rest = client.get(page["next"]).json()
    assert [o["id"] for o in rest["results"]] == [created[0].pk]
    Operation.objects.filter(pk=created[0].pk).update(created_at="2020-01-01T00:00:00Z")
    old = client.get("/api/v1/operations?to=2021-01-01T00:00:00Z").json()["results"]
    assert [o["id"] for o in old] == [created[0].pk]
    recent = client.get("/api/v1/operations?from=2021-01-01T00:00:00Z").json()["results"]
    assert [o["id"] for o in recent] == [created[2].pk, created[1].pk]
    assert _error(client.get("/api/v1/operations?status=paused")) == (400, "VALIDATION_ERROR")


def test_detail_shape(client, account):
    operation = running(account=account, worker="host:9")
    operation_progress_record(
        operation_id=operation.pk, items_done=1, items_total=3, phase="loading"
    )
    body = client.get(f"/api/v1/operations/{operation.pk}").json()
    assert body["id"] == operation.pk
    assert body["type"] == "test"
    assert body["status"] == "running"
    assert body["progress"] == {
        "percentage": "33.33",
        "phase": "loading",
        "items_done": 1,
        "items_total": 3,
    }
    assert body["error"] is None
    assert body["result"] is None
    assert body["parent"] is None
    assert body["worker"] == "host:9"
    for name in ("created_at", "started_at", "heartbeat_at"):
        assert body[name].endswith("Z")
    assert body["finished_at"] is None


def test_another_accounts_operation_is_a_404(client, other_account):
    operation = operation_create(account=other_account, type="t")
    for path in ("", "/metrics", "/cancel"):
        response = client.get(f"/api/v1/operations/{operation.pk}{path}")
        if path == "/cancel":
            response = client.delete(f"/api/v1/operations/{operation.pk}/cancel")
        assert _error(response) == (404, "OPERATION_NOT_FOUND")
    assert Operation.objects.get(pk=operation.pk).status == "pending"
    assert _error(client.get("/api/v1/operations/nope")) == (404, "OPERATION_NOT_FOUND")


def test_metrics(client, account):
    operation = running(account=account)
    operation_progress_record(operation_id=operation.pk, items_done=2, metrics={"equity": "10"})
    body = client.get(f"/api/v1/operations/{operation.pk}/metrics").json()
    assert body["metrics"] == {"equity": "10"}
    assert body["status"] == "running"
    assert body["progress"]["items_done"] == 2


def test_cancel_pending_is_200_cancelled(client, account):
    operation = operation_create(account=account, type="t")
    response = client.delete(f"/api/v1/operations/{operation.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_cancel_running_is_202_with_the_request_recorded(client, account):
    operation = running(account=account)
    response = client.post(
        f"/api/v1/operations/{operation.pk}/cancel",
        data=json.dumps({}),
        content_type="application/json",
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "running"
    assert body["cancel_requested_at"].endswith("Z")


def test_cancel_finished_is_409_and_changes_nothing(client, account):
    operation = running(account=account)
    operation_complete(operation_id=operation.pk, result={"r": 1})
    response = client.delete(f"/api/v1/operations/{operation.pk}/cancel")
    assert _error(response) == (409, "OPERATION_NOT_CANCELABLE")
    operation.refresh_from_db()
    assert (operation.status, operation.result, operation.cancel_requested_at) == (
        "completed",
        {"r": 1},
        None,
    )


def test_cancel_needs_the_trade_scope(reader, account):
    operation = operation_create(account=account, type="t")
    assert reader.get(f"/api/v1/operations/{operation.pk}").status_code == 200
    assert _error(reader.delete(f"/api/v1/operations/{operation.pk}/cancel")) == (
        403,
        "PERMISSION_DENIED",
    )
    assert Operation.objects.get(pk=operation.pk).status == "pending"
