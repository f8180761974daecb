"""Admin: operations listed, and the cancel action goes through the service."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from operations.models import Operation
from operations.services import operation_complete, operation_create
from operations.tests.helpers import running

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-pw-pw-1")
    client = Client()
    client.force_login(user)
    return client


def test_changelist_and_cancel_action(staff_client, account):
    pending = operation_create(account=account, type="t")
    live = running(account=account)
    finished = running(account=account)
    operation_complete(operation_id=finished.pk, result=None)
    assert staff_client.get("/admin/operations/operation/").status_code == 200
    response = staff_client.post(
        "/admin/operations/operation/",
        {"action": "cancel_operations", "_selected_action": [pending.pk, live.pk, finished.pk]},
        follow=True,
    )
    assert response.status_code == 200
    statuses = dict(Operation.objects.values_list("id", "status"))
    assert statuses[pending.pk] == "cancelled"
    assert statuses[live.pk] == "running"
    assert Operation.objects.get(pk=live.pk).cancel_requested_at is not None
    assert statuses[finished.pk] == "completed"
    text = response.content.decode()
    assert "Cancel requested for 2 operation(s)." in text
    assert f"#{finished.pk}: Operation {finished.pk} is completed" in text
