"""Risk and control endpoints: /config, /risk, /risk/overrides, /trading; scopes and BOLA."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from access.tests.helpers import key_make, simple_client
from orders.models import Order
from orders.services import order_submit
from orders.tests.helpers import fill
from risk.enums import OverrideStatus
from risk.models import RiskConfig, RiskOverride
from risk.services import risk_config_update, risk_override_create

D = Decimal
pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def send(client, method, path, body=None):
    return getattr(client, method)(
        path, data=json.dumps(body or {}), content_type="application/json"
    )


def error_of(response):
    body = response.json()["error"]
    return response.status_code, body["code"]


def expiry(hours=1) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


# --- /config --------------------------------------------------------------------------------


def test_config_shows_risk_trading_rate_limits_and_venue(viewer, account):
    response = client_for(viewer).get("/api/v1/config")
    assert response.status_code == 200
    body = response.json()
    assert body["account"] == account.pk
    assert body["risk"]["version"] == 1
    assert body["risk"]["max_order_quantity"] is None
    assert body["trading"]["state"] == "running"
    assert body["rate_limits"] == {"data": "10000/s", "trading": "10000/s"}
    assert set(body["venue"]) >= {"market_data_source", "tick_interval_s"}
    assert "secret" not in json.dumps(body).lower()
    # Reading writes nothing: no configuration row appears.
    assert not RiskConfig.objects.filter(account=account).exists()


def test_put_config_risk_is_partial_validated_and_returns_the_new_config(risk_manager, account):
    client = client_for(risk_manager)
    first = send(client, "put", "/api/v1/config/risk", {"max_order_quantity": "10"})
    assert first.status_code == 200
    response = send(client, "put", "/api/v1/config/risk", {"price_band_pct": 2.5})
    assert response.status_code == 200
    body = response.json()
    assert (body["max_order_quantity"], body["price_band_pct"], body["version"]) == ("10", "2.5", 3)


def test_put_config_risk_refuses_unknown_fields(risk_manager, account):
    client = client_for(risk_manager)
    response = send(client, "put", "/api/v1/config/risk", {"max_leverage": "3"})
    assert error_of(response) == (400, "VALIDATION_ERROR")
    assert response.json()["error"]["details"]["fields"] == {"max_leverage": ["Unknown field."]}
    assert not RiskConfig.objects.filter(account=account, version__gt=1).exists()


def test_tightened_limit_refuses_the_next_order_naming_the_rule(risk_manager, trader, aapl):
    send(client_for(risk_manager), "put", "/api/v1/config/risk", {"max_order_quantity": "5"})
    order = {"symbol": "AAPL", "side": "buy", "order_type": "limit", "quantity": "6",
             "limit_price": "100.00"}  # fmt: skip
    response = send(client_for(trader), "post", "/api/v1/orders", order)
    assert response.status_code == 422
    [violation] = response.json()["error"]["details"]["violations"]
    assert violation["rule"] == "max_order_quantity"


# --- scopes ---------------------------------------------------------------------------------


CONTROL_CALLS = [
    ("put", "/api/v1/config/risk", {"max_open_orders": 3}),
    ("post", "/api/v1/trading/start", {"reason": "x"}),
    ("post", "/api/v1/trading/stop", {"reason": "x"}),
    ("post", "/api/v1/trading/reduce-only", {"reason": "x"}),
    ("post", "/api/v1/risk/overrides", {"kind": "risk_level", "value": "1", "reason": "x"}),
]


@pytest.mark.parametrize(("method", "path", "body"), CONTROL_CALLS)
@pytest.mark.parametrize("role", ["viewer", "trader"])
def test_read_and_trade_scopes_cannot_control(request, account, role, method, path, body):
    user = request.getfixturevalue(role)
    response = send(client_for(user), method, path, {**body, "expires_at": expiry()})
    assert error_of(response) == (403, "PERMISSION_DENIED")
    assert RiskConfig.objects.filter(account=account, version__gt=1).count() == 0
    assert RiskOverride.objects.count() == 0
    assert client_for(user).get("/api/v1/trading").json()["state"] == "running"


@pytest.mark.parametrize("path", ["/api/v1/config", "/api/v1/risk", "/api/v1/trading",
                                  "/api/v1/risk/overrides", "/api/v1/config/risk"])  # fmt: skip
def test_read_scope_reads_everything(viewer, path):
    assert client_for(viewer).get(path).status_code == 200


def test_a_read_only_key_of_a_risk_manager_cannot_control(risk_manager, account):
    api_key, secret = key_make(user=risk_manager, account=account, scopes=("read",))
    response = send(simple_client(api_key, secret), "post", "/api/v1/trading/stop", {"reason": "x"})
    assert error_of(response) == (403, "PERMISSION_DENIED")


# --- /trading -------------------------------------------------------------------------------


def test_stop_cancels_flattens_and_refuses_new_orders(risk_manager, trader, account, aapl):
    bought = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D("3")
    )
    fill(bought, quantity="3", price="100.10")
    resting = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("1"), limit_price=D("90"),
    )  # fmt: skip
    response = send(client_for(risk_manager), "post", "/api/v1/trading/stop", {"reason": "kill"})
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["reason"], body["actor"]) == ("stopped", "kill", "rita")
    assert [o["order_id"] for o in body["canceled_orders"]] == [resting.pk]
    assert [o["symbol"] for o in body["closing_orders"]] == ["AAPL"]
    assert Order.objects.get(pk=resting.pk).status == "canceled"

    orders_before = Order.objects.count()
    order = {"symbol": "AAPL", "side": "buy", "order_type": "limit", "quantity": "1",
             "limit_price": "100.00"}  # fmt: skip
    refused = send(client_for(trader), "post", "/api/v1/orders", order)
    assert error_of(refused) == (409, "TRADING_STOPPED")
    assert Order.objects.count() == orders_before

    started = send(client_for(risk_manager), "post", "/api/v1/trading/start", {"reason": "ok"})
    assert started.json()["state"] == "running"
    assert send(client_for(trader), "post", "/api/v1/orders", order).status_code == 201


def test_stop_needs_a_reason(risk_manager):
    response = send(client_for(risk_manager), "post", "/api/v1/trading/stop", {})
    assert error_of(response) == (400, "VALIDATION_ERROR")
    assert client_for(risk_manager).get("/api/v1/trading").json()["state"] == "running"


def test_reduce_only_over_the_api(risk_manager, account):
    response = send(
        client_for(risk_manager), "post", "/api/v1/trading/reduce-only", {"reason": "earnings"}
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["effective_state"]) == (
        "reduce_only",
        "reduce_only",
    )


# --- /risk ----------------------------------------------------------------------------------


def test_risk_shows_limit_utilization(viewer, account, aapl):
    risk_config_update(
        account=account,
        changes={
            "max_gross_exposure": "2000",
            "max_open_orders": 4,
            "max_position_notional": "4000",
        },
    )
    bought = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D("5")
    )
    fill(bought, quantity="5", price="100")
    order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("1"), limit_price=D("90"),
    )  # fmt: skip
    body = client_for(viewer).get("/api/v1/risk").json()
    assert body["trading_state"] == "running"
    assert body["risk_level"] == "1"
    limits = {item["name"]: item for item in body["limits"]}
    assert limits["gross_exposure"] == {
        "name": "gross_exposure", "limit": "2000", "used": "500", "utilization_pct": "25",
    }  # fmt: skip
    assert limits["position_notional"]["utilization_pct"] == "12.5"
    assert limits["open_orders"] == {
        "name": "open_orders", "limit": "4", "used": "1", "utilization_pct": "25",
    }  # fmt: skip
    assert limits["order_rate"]["limit"] is None
    assert body["dd_zone"] == "normal"
    assert body["drawdown_pct"] == "0"
    assert limits["daily_loss"]["used"] == "0"
    assert limits["total_drawdown"]["used"] == "0"
    assert body["circuit_breaker"] == {"tripped": False, "reason": "", "tripped_at": None}
    assert body["overrides"] == []


# --- /risk/overrides ------------------------------------------------------------------------


def test_four_eyes_over_the_api(account, risk_manager, second_risk_manager):
    risk_config_update(account=account, changes={"require_four_eyes": True})
    body = {"kind": "limit", "target": "max_open_orders", "value": "9", "reason": "busy",
            "expires_at": expiry()}  # fmt: skip
    created = send(client_for(risk_manager), "post", "/api/v1/risk/overrides", body)
    assert created.status_code == 201
    override_id = created.json()["id"]
    assert created.json()["status"] == "pending_approval"

    path = f"/api/v1/risk/overrides/{override_id}/approve"
    refused = send(client_for(risk_manager), "post", path)
    assert error_of(refused) == (403, "OVERRIDE_SELF_APPROVAL")
    assert RiskOverride.objects.get(pk=override_id).status == OverrideStatus.PENDING_APPROVAL

    approved = send(client_for(second_risk_manager), "post", path)
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("active", "rob")
    risk = client_for(risk_manager).get("/api/v1/risk").json()
    assert [o["id"] for o in risk["overrides"]] == [override_id]

    revoked = client_for(risk_manager).delete(f"/api/v1/risk/overrides/{override_id}")
    assert revoked.json()["status"] == "revoked"


def test_overrides_of_another_account_are_not_found(account, other_account, risk_manager, outsider):
    override = risk_override_create(
        account=account, kind="risk_level", value="0.5", reason="r",
        expires_at=timezone.now() + timedelta(hours=1), actor=risk_manager,
    )  # fmt: skip
    intruder = client_for(outsider)
    assert intruder.get("/api/v1/risk/overrides").json()["results"] == []
    assert error_of(intruder.get(f"/api/v1/risk/overrides/{override.pk}")) == (
        404,
        "OVERRIDE_NOT_FOUND",
    )
    approve = send(intruder, "post", f"/api/v1/risk/overrides/{override.pk}/approve")
    assert error_of(approve) == (404, "OVERRIDE_NOT_FOUND")
    assert error_of(intruder.delete(f"/api/v1/risk/overrides/{override.pk}")) == (
        404,
        "OVERRIDE_NOT_FOUND",
    )
    named = intruder.get(f"/api/v1/risk/overrides?account={account.pk}")
    assert error_of(named) == (404, "NOT_FOUND")
    other_risk = intruder.get(f"/api/v1/risk?account={account.pk}")
    assert error_of(other_risk) == (404, "NOT_FOUND")
    stop = send(intruder, "post", "/api/v1/trading/stop", {"reason": "x", "account": account.pk})
    assert error_of(stop) == (404, "NOT_FOUND")
    override.refresh_from_db()
    assert override.status == OverrideStatus.ACTIVE


def test_override_list_filters_by_status(account, risk_manager):
    for value in ("0.5", "0.75"):
        risk_override_create(
            account=account, kind="risk_level", value=value, reason="r",
            expires_at=timezone.now() + timedelta(hours=1), actor=risk_manager,
        )  # fmt: skip
    client = client_for(risk_manager)
    assert len(client.get("/api/v1/risk/overrides?status=active").json()["results"]) == 2
    assert client.get("/api/v1/risk/overrides?status=revoked").json()["results"] == []
    assert error_of(client.get("/api/v1/risk/overrides?status=nope")) == (400, "VALIDATION_ERROR")


def test_invalid_override_is_a_400(risk_manager):
    body = {"kind": "risk_level", "value": "1", "reason": "r", "expires_at": expiry(hours=-1)}
    response = send(client_for(risk_manager), "post", "/api/v1/risk/overrides", body)
    assert error_of(response) == (400, "VALIDATION_ERROR")
    assert list(response.json()["error"]["details"]["fields"]) == ["expires_at"]


def test_audit_names_the_caller_of_a_config_change(risk_manager, account):
    from audit.models import AuditEntry

    send(client_for(risk_manager), "put", "/api/v1/config/risk", {"max_open_orders": 3})
    entry = AuditEntry.objects.filter(action="risk_config.updated").get()
    assert entry.actor_username == "rita"
    assert (entry.before["max_open_orders"], entry.after["max_open_orders"]) == (None, 3)
