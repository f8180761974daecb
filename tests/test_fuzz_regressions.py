"""What schemathesis found against the live server (`make test-schema`), one test each."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import transaction

from access.tests.helpers import key_make, simple_client
from audit.services import audit_record
from kernel.api.renderers import json_dumps
from orders.models import Order

pytestmark = pytest.mark.django_db

BIG = str(2**70)


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


@pytest.fixture
def admin_api(admin_member, account):
    api_key, secret = key_make(user=admin_member, account=account, scopes=("read", "admin"))
    return simple_client(api_key, secret)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/operations?parent={BIG}",  # was a 500: OverflowError in the SQLite driver
        f"/api/v1/backtests?sweep={BIG}",
        f"/api/v1/fills?order={BIG}",
    ],
)
def test_id_filters_past_64_bits_are_a_400(reader_api, path):
    error = _error(reader_api.get(path), 400, "VALIDATION_ERROR")
    assert list(error["details"]["fields"]) == [path.split("?")[1].split("=")[0]]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/operations/{BIG}",
        f"/api/v1/backtests/{BIG}",
        f"/api/v1/backtests/sweeps/{BIG}",
        f"/api/v1/risk/overrides/{BIG}/",
        "/api/v1/orders/%D9%A1",  # an Arabic-Indic digit: int() reads it, an id is ASCII
    ],
)
def test_path_ids_that_are_not_ids_are_a_404(reader_api, path):
    assert reader_api.get(path).status_code == 404


def test_a_key_id_past_64_bits_is_a_404(admin_api):
    assert admin_api.get(f"/api/v1/api-keys/{BIG}/").status_code == 404


def test_an_account_past_64_bits_is_a_404(admin_api):
    assert admin_api.get(f"/api/v1/balances?account={BIG}").status_code == 404


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/orders?symbol=", "symbol"),
        ("/api/v1/orders?status=", "status"),
        ("/api/v1/portfolio/equity?to=", "to"),
        ("/api/v1/operations?parent=", "parent"),
        ("/api/v1/candles/AAPL?limit=", "limit"),
    ],
)
def test_a_blank_query_parameter_is_refused_not_ignored(reader_api, aapl, path, field):
    error = _error(reader_api.get(path), 400, "VALIDATION_ERROR")
    assert error["details"]["fields"] == {field: ["May not be blank."]}


def test_cancel_all_with_a_blank_symbol_cancels_nothing(trader_api, aapl, generous_rate_limits):
    # given an open order
    created = trader_api.post(
        "/api/v1/orders",
        {
            "symbol": "AAPL",
            "side": "buy",
            "order_type": "limit",
            "quantity": "1",
            "limit_price": "90",
        },
        format="json",
    )
    assert created.status_code == 201
    status_before = Order.objects.get(pk=created.json()["id"]).status

    # when cancel-all names a blank symbol
    response = trader_api.delete("/api/v1/orders?symbol=")

    # then it is refused, and the order is untouched
    error = _error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["fields"] == {"symbol": ["May not be blank."]}
    assert Order.objects.get(pk=created.json()["id"]).status == status_before


def test_an_audit_row_holding_an_integer_past_64_bits_still_lists(admin_api):
    # given a state change recorded with a client's huge integer (found: GET /audit was a 500)
    with transaction.atomic():
        audit_record(action="test.big", object_type="test", object_id=1, after={"n": 2**70})

    # when the trail is listed
    response = admin_api.get("/api/v1/audit?action=test.big")

    # then the integer is written exactly
    assert response.status_code == 200, response.content[:300]
    assert response.json()["results"][0]["after"] == {"n": 2**70}


def test_json_past_64_bits_keeps_the_api_rules():
    moment = datetime.datetime(2026, 12, 2, 5, 0, tzinfo=datetime.UTC)
    data = {"n": -(2**70), "price": Decimal("101.2500"), "at": moment, "day": moment.date()}

    assert json.loads(json_dumps(data)) == {
        "n": -(2**70),
        "price": "101.25",
        "at": "2026-12-02T05:00:00Z",
        "day": "2026-12-02",
    }
