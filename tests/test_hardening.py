"""Hostile input gets the JSON error shape, never a 500 or an HTML page (the review's findings)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from access.tests.helpers import hmac_headers, key_make, simple_client
from orders.models import Order

pytestmark = pytest.mark.django_db

BIG = str(2**70)


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    if code is not None:
        assert error["code"] == code, error
    return error


def _order(symbol="AAPL", **fields):
    return {"symbol": symbol, "side": "buy", "order_type": "market", "quantity": "1", **fields}


# --- 3. 500s from input ------------------------------------------------------------------------


def test_deeply_nested_json_before_authentication_is_a_400():
    body = "[" * 600 + "]" * 600
    response = APIClient().post("/api/v1/orders", body, content_type="application/json")
    assert response.status_code in (400, 401)
    assert response["Content-Type"].startswith("application/json")


def test_deeply_nested_json_from_a_caller_is_malformed(trader_api):
    body = '{"a":' * 600 + "1" + "}" * 600
    response = trader_api.post("/api/v1/orders", body, content_type="application/json")
    _error(response, 400, "MALFORMED_REQUEST")


def test_a_tampered_cursor_is_a_400(reader_api):
    _error(reader_api.get("/api/v1/orders?cursor=not-a-cursor"), 400, "VALIDATION_ERROR")


@pytest.fixture
def admin_api(admin_member, account):
    api_key, secret = key_make(user=admin_member, account=account, scopes=("read", "admin"))
    return simple_client(api_key, secret)


@pytest.mark.parametrize("query", ["from=2026-13-45T00:00:00Z", "actor=%C2%B2"])
def test_audit_filters_refuse_garbage(admin_api, query):
    response = admin_api.get(f"/api/v1/audit?{query}")
    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("application/json")
    if "from" in query:
        _error(response, 400, "VALIDATION_ERROR")


def test_an_if_match_past_64_bits_is_a_400(trader_api, aapl, generous_rate_limits):
    order = trader_api.post(
        "/api/v1/orders", _order(order_type="limit", limit_price="90"), format="json"
    ).json()
    response = trader_api.patch(
        f"/api/v1/orders/{order['id']}",
        {"limit_price": "91"},
        format="json",
        HTTP_IF_MATCH=f'"{BIG}"',
    )
    assert response.status_code in (400, 412)
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path", [f"/api/v1/orders/{BIG}", f"/api/v1/signals?order_id={BIG}"])
def test_ids_past_64_bits_are_not_found_or_refused(reader_api, path):
    response = reader_api.get(path)
    assert response.status_code in (200, 400, 404)
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("rate", ["1/0s", "0/s", "-1/s", "1/x"])
def test_a_zero_period_rate_limit_is_refused_at_creation(admin_member, account, rate):
    client = APIClient()
    client.force_authenticate(admin_member)
    response = client.post(
        "/api/v1/api-keys",
        {"name": "bad", "scopes": ["read"], "rate_limits": {"data": rate}},
        format="json",
    )
    _error(response, 400, "VALIDATION_ERROR")


# --- 4. body size -------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_before_parsing(trader_api, aapl, settings):
    body = json.dumps(_order(note="x" * (settings.API_MAX_BODY_BYTES + 1)))
    response = trader_api.post("/api/v1/orders", body, content_type="application/json")
    _error(response, 413, "PAYLOAD_TOO_LARGE")
    assert not Order.objects.exists()


def test_a_body_over_the_limit_is_a_413_without_credentials(settings):
    body = b"x" * (settings.API_MAX_BODY_BYTES + 1)
    response = APIClient().post("/api/v1/orders", body, content_type="application/json")
    _error(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_signed_body_over_the_limit_is_a_413(trader, account, aapl, settings):
    api_key, secret = key_make(
        user=trader, account=account, scopes=("read", "trade"), scheme="hmac"
    )
    body = json.dumps(_order(note="x" * (settings.API_MAX_BODY_BYTES + 1))).encode()
    headers = hmac_headers(
        key_id=api_key.key_id, secret=secret, method="POST", path="/api/v1/orders", body=body
    )
    response = APIClient().post("/api/v1/orders", body, content_type="application/json", **headers)
    _error(response, 413, "PAYLOAD_TOO_LARGE")


# --- 5. key minting -----------------------------------------------------------------------------


def _admin_key_client(admin_member, account, **kwargs):
    api_key, secret = key_make(user=admin_member, account=account, **kwargs)
    return simple_client(api_key, secret)


def test_a_key_cannot_grant_scopes_it_does_not_hold(admin_member, account):
    client = _admin_key_client(admin_member, account, scopes=("read", "admin"))
    response = client.post(
        "/api/v1/api-keys", {"name": "more", "scopes": ["trade", "control"]}, format="json"
    )
    error = _error(response, 400, "VALIDATION_ERROR")
    assert "control, trade" in str(error["details"])
    assert (
        client.post(
            "/api/v1/api-keys", {"name": "same", "scopes": ["read"]}, format="json"
        ).status_code
        == 201
    )


def test_a_key_cannot_grant_rate_limits_above_its_own(admin_member, account):
    client = _admin_key_client(
        admin_member, account, scopes=("read", "admin"), rate_limits={"data": "10/s"}
    )
    faster = {"name": "faster", "scopes": ["read"], "rate_limits": {"data": "100000/s"}}
    _error(client.post("/api/v1/api-keys", faster, format="json"), 400, "VALIDATION_ERROR")
    # 600/m is 10/s: equal, so allowed.
    equal = {"name": "equal", "scopes": ["read"], "rate_limits": {"data": "600/m"}}
    assert client.post("/api/v1/api-keys", equal, format="json").status_code == 201


def test_a_person_grants_at_most_their_roles_rate_ceiling(admin_member, account, settings):
    settings.API_KEY_RATE_CEILINGS = {"admin": {"data": "50/s", "trading": "5/s"}}
    client = APIClient()
    client.force_authenticate(admin_member)
    above = {"name": "k", "scopes": ["read"], "rate_limits": {"trading": "6/s"}}
    _error(client.post("/api/v1/api-keys", above, format="json"), 400, "VALIDATION_ERROR")
    within = {"name": "k", "scopes": ["read"], "rate_limits": {"trading": "5/s"}}
    assert client.post("/api/v1/api-keys", within, format="json").status_code == 201


def test_a_stored_zero_period_rate_falls_back_to_the_default(admin_member, account):
    from access.models import ApiKey

    api_key, secret = key_make(user=admin_member, account=account, scopes=("read",))
    ApiKey.objects.filter(pk=api_key.pk).update(rate_limits={"data": "1/0s"})
    assert simple_client(api_key, secret).get("/api/v1/balances").status_code == 200


# --- 6. lenient decimals ------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["\uff11", "1_000", "1e2", " 1", "+1", "\u0661"])
def test_only_ascii_decimals_are_accepted(trader_api, aapl, quantity):
    response = trader_api.post("/api/v1/orders", _order(quantity=quantity), format="json")
    _error(response, 400, "VALIDATION_ERROR")
    assert not Order.objects.exists()


# --- 7. error shape everywhere ------------------------------------------------------------------


def test_a_write_to_an_unknown_api_path_is_a_json_404():
    response = APIClient(enforce_csrf_checks=True).post("/api/v1/nope", {}, format="json")
    _error(response, 404, "NOT_FOUND")


def test_the_schema_without_credentials_is_a_json_401():
    _error(APIClient().get("/api/v1/schema/"), 401)


def test_too_many_form_fields_are_a_json_400(trader_api):
    body = "&".join(f"f{i}=1" for i in range(3001))
    response = trader_api.post(
        "/api/v1/orders", body, content_type="application/x-www-form-urlencoded"
    )
    _error(response, 400)


def test_multipart_without_a_boundary_says_so(trader_api):
    response = trader_api.post("/api/v1/orders", b"x", content_type="multipart/form-data")
    error = _error(response, 400, "MALFORMED_REQUEST")
    assert "boundary" in error["message"].lower()


def test_jwt_errors_are_clean_and_an_expired_token_has_its_own_code(trader, settings):
    from rest_framework_simplejwt.tokens import AccessToken

    garbage = APIClient()
    garbage.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    error = _error(garbage.get("/api/v1/me"), 401)
    assert error["message"] == "The access token is not valid."

    token = AccessToken.for_user(trader)
    token.set_exp(lifetime=-timedelta(seconds=5))
    expired = APIClient()
    expired.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    error = _error(expired.get("/api/v1/me"), 401, "TOKEN_EXPIRED")
    assert "ErrorDetail" not in error["message"]


# --- 8. validation gaps -------------------------------------------------------------------------


def test_an_empty_symbols_filter_is_a_400(reader_api, aapl):
    _error(reader_api.get("/api/v1/quotes?symbols="), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/orders", "/api/v1/fills", "/api/v1/trades", "/api/v1/signals", "/api/v1/audit"],
)
def test_lists_refuse_from_after_to(admin_api, path):
    response = admin_api.get(f"{path}?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")
    _error(response, 400)


def test_a_signal_for_an_unknown_symbol_is_refused(trader_api):
    response = trader_api.post(
        "/api/v1/signals",
        {"strategy": "s", "symbol": "NOPE", "direction": "long", "decision": "skipped"},
        format="json",
    )
    _error(response, 404, "SYMBOL_NOT_FOUND")


def test_a_naive_expires_at_is_refused(risk_manager, account):
    client = APIClient()
    client.force_authenticate(risk_manager)
    naive = (timezone.now() + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    response = client.post(
        "/api/v1/risk/overrides",
        {
            "kind": "limit",
            "target": "max_order_notional",
            "value": "1000",
            "reason": "r",
            "expires_at": naive,
        },
        format="json",
    )
    error = _error(response, 400, "VALIDATION_ERROR")
    assert "expires_at" in error["details"]["fields"]


def test_a_non_integer_version_is_a_400(risk_manager, account):
    client = APIClient()
    client.force_authenticate(risk_manager)
    response = client.put(
        "/api/v1/config/risk", {"version": "abc", "max_order_notional": "1000"}, format="json"
    )
    _error(response, 400, "VALIDATION_ERROR")


# --- 10. deployment headers ---------------------------------------------------------------------


def test_authenticated_responses_are_not_cached(reader_api):
    response = reader_api.get("/api/v1/balances")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_pages_carry_a_content_security_policy(reader_api):
    response = reader_api.get("/api/v1/balances")
    assert "default-src" in response["Content-Security-Policy"]


def test_decimal_fields_are_exact(trader_api, aapl):
    response = trader_api.post(
        "/api/v1/orders", _order(order_type="limit", limit_price="90.01"), format="json"
    )
    assert Decimal(response.json()["limit_price"]) == Decimal("90.01")


def test_the_admin_login_page_carries_the_policy_too(client):
    response = client.get("/admin/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_swagger_ui_needs_no_inline_script(admin_user, client):
    client.force_login(admin_user)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert b"<script>" not in page.content
    script = client.get("/api/v1/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")


# --- 10. deployment checks and the trusted proxy ---------------------------------------------


def _deploy_errors(settings, **secrets) -> set[str]:
    from kernel.checks import secrets_check

    settings.SECRET_KEY = secrets.get("SECRET_KEY", "s" * 50)
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": secrets["JWT_SIGNING_KEY"]}
    settings.API_KEY_ENCRYPTION_KEY = secrets["API_KEY_ENCRYPTION_KEY"]
    return {f"{error.id}: {error.msg}" for error in secrets_check()}


def test_deploy_checks_refuse_short_and_shared_secrets(settings):
    assert (
        _deploy_errors(settings, JWT_SIGNING_KEY="j" * 40, API_KEY_ENCRYPTION_KEY="a" * 40) == set()
    )
    assert _deploy_errors(settings, JWT_SIGNING_KEY="j", API_KEY_ENCRYPTION_KEY="a" * 40) == {
        "kernel.E001: JWT_SIGNING_KEY is shorter than 32 characters."
    }
    assert _deploy_errors(settings, JWT_SIGNING_KEY="s" * 50, API_KEY_ENCRYPTION_KEY="s" * 50) == {
        "kernel.E002: JWT_SIGNING_KEY is the same as SECRET_KEY.",
        "kernel.E002: API_KEY_ENCRYPTION_KEY is the same as SECRET_KEY.",
        "kernel.E002: API_KEY_ENCRYPTION_KEY is the same as JWT_SIGNING_KEY.",
    }


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a trusted proxy: header ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.3", "198.51.100.1"),  # forged left part
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_the_client_ip_comes_from_a_trusted_proxy_only(settings, peer, forwarded, expected):
    from django.test import RequestFactory

    from kernel.identity import client_ip

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_without_trusted_proxies_forwarded_headers_are_ignored(settings):
    from django.test import RequestFactory

    from kernel.identity import client_ip

    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.2"


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2026-01-31", True),  # a bare date is 00:00 UTC
        ("2026-01-31T10:00:00Z", True),
        ("2026-01-31T10:00:00+02:00", True),
        ("2026-01-31T10:00:00", False),
        ("2026-13-45T00:00:00Z", False),
        ("yesterday", False),
    ],
)
def test_times_need_a_time_zone(text, valid):
    from kernel.api.fields import AwareDateTimeField

    field = AwareDateTimeField()
    if valid:
        assert field.run_validation(text).tzinfo is not None
    else:
        with pytest.raises(ValidationError):
            field.run_validation(text)


@pytest.mark.parametrize("value", ["\uff11000", "1e5", "1_000", " 1000"])
def test_risk_configuration_decimals_are_ascii_only(risk_manager, account, value):
    client = APIClient()
    client.force_authenticate(risk_manager)
    response = client.put("/api/v1/config/risk", {"max_order_notional": value}, format="json")
    error = _error(response, 400)
    assert "max_order_notional" in str(error["details"])


@pytest.mark.parametrize("symbols", [[""], ["\u0016"], ["AAPL", "\uff21\uff21\uff30\uff2c"]])
def test_risk_symbol_lists_take_symbols_only(risk_manager, account, symbols):
    client = APIClient()
    client.force_authenticate(risk_manager)
    response = client.put("/api/v1/config/risk", {"allowed_symbols": symbols}, format="json")
    assert "allowed_symbols" in str(_error(response, 400)["details"])


def test_a_key_name_is_bounded_as_sent_not_after_trimming(admin_member, account):
    client = APIClient()
    client.force_authenticate(admin_member)
    response = client.post(
        "/api/v1/api-keys", {"name": " " + "k" * 100, "scopes": ["read"]}, format="json"
    )
    _error(response, 400, "VALIDATION_ERROR")
