"""The OpenAPI schema is exact: error shapes, pages, bounds, deprecation; and what fuzzing found."""

import copy
import datetime
import sys
from pathlib import Path

import pytest
import yaml
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api.deprecation import deprecated
from kernel.ids import ID_MAX

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import schema_check

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for route, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), route, operation


def _ref(response: dict) -> str | None:
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def test_every_authenticated_operation_documents_the_plumbing_errors(schema):
    public = {("GET", "/api/v1/health"), ("POST", "/api/v1/auth/token")}
    public.add(("POST", "/api/v1/auth/token/refresh"))
    checked = 0
    for method, route, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"400"} if (method, route) in public else {"400", "401", "403", "404"}
        if route == "/api/v1/health":
            expected = {"503"}
        assert expected <= set(responses), (method, route, sorted(responses))
        for status in expected:
            assert _ref(responses[status]) == "#/components/schemas/Error", (method, route, status)
        checked += 1
    assert checked == 70  # every operation of the API (64, plus the six of deployments)


def test_the_error_component_is_the_contract_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    body = schema["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["error"]
    assert sorted(body["required"]) == ["code", "details", "message", "request_id"]
    assert body["properties"]["details"]["nullable"] is True


def test_writes_document_idempotency_and_body_refusals(schema):
    operation = schema["paths"]["/api/v1/orders"]["post"]
    assert {"409", "413", "415", "422", "429", "503"} <= set(operation["responses"])
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert header["schema"]["maxLength"] == 255


def test_lists_are_the_paginated_envelope_with_bounded_limit(schema):
    for route in ("/api/v1/orders", "/api/v1/fills", "/api/v1/trades", "/api/v1/signals"):
        operation = schema["paths"][route]["get"]
        page = schema["components"]["schemas"][_ref(operation["responses"]["200"]).split("/")[-1]]
        assert page["required"] == ["results", "next"]
        assert page["properties"]["results"]["type"] == "array"
        assert page["properties"]["next"]["nullable"] is True
        limit = next(p for p in operation["parameters"] if p["name"] == "limit")
        assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}


def test_207_answers_are_arrays_of_per_item_results(schema):
    cancel = schema["paths"]["/api/v1/orders"]["delete"]["responses"]["207"]
    close = schema["paths"]["/api/v1/positions"]["delete"]["responses"]["207"]
    cancel_schema = cancel["content"]["application/json"]["schema"]
    assert cancel_schema == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/CancelResult"},
    }
    assert close["content"]["application/json"]["schema"]["type"] == "array"


def test_parameters_carry_their_bounds(schema):
    def parameter(route: str, name: str) -> dict:
        operation = schema["paths"][route]["get"]
        return next(p for p in operation["parameters"] if p["name"] == name)["schema"]

    assert parameter("/api/v1/performance", "days")["maximum"] == 3660
    assert parameter("/api/v1/orderbook/{symbol}", "depth")["maximum"] == 50
    assert parameter("/api/v1/candles/{symbol}", "limit")["maximum"] == 1000
    assert parameter("/api/v1/operations", "parent")["maximum"] == ID_MAX


def test_fixed_shapes_have_response_components(schema):
    for route in ("/api/v1/config/risk", "/api/v1/portfolio", "/api/v1/trading", "/api/v1/status"):
        response = schema["paths"][route]["get"]["responses"]["200"]
        component = schema["components"]["schemas"][_ref(response).split("/")[-1]]
        assert component["properties"], route


def test_committed_schema_is_the_generated_one():
    committed = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    assert committed == yaml.safe_load(schema_check.generate())


# --- breaking-change rules ------------------------------------------------------------------


@pytest.fixture(scope="module")
def committed() -> dict:
    return yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())


def test_an_unchanged_schema_has_no_breaking_change(committed):
    assert schema_check.breaking_changes(committed, copy.deepcopy(committed)) == []


def test_each_breaking_rule_is_found(committed):
    changed = copy.deepcopy(committed)
    components = changed["components"]["schemas"]
    del changed["paths"]["/api/v1/trades"]
    del components["Instrument"]["properties"]["name"]
    components["OrderInputRequest"]["required"].append("strategy")
    components["SideEnum"]["enum"] = ["buy"]
    components["Instrument"]["properties"]["symbol"] = {"type": "integer"}

    found = set(schema_check.breaking_changes(committed, changed))

    assert "removed-operation GET /api/v1/trades" in found
    assert "removed-response-field GET /api/v1/instruments/{symbol} 200 name" in found
    assert "new-required-field POST /api/v1/orders strategy" in found
    assert "narrowed-enum POST /api/v1/orders request side" in found
    assert "type-change GET /api/v1/instruments/{symbol} response.200 symbol" in found


def test_additions_are_not_breaking(committed):
    changed = copy.deepcopy(committed)
    changed["components"]["schemas"]["Instrument"]["properties"]["isin"] = {"type": "string"}
    changed["components"]["schemas"]["SideEnum"]["enum"].append("short_sell")
    changed["paths"]["/api/v1/new"] = changed["paths"]["/api/v1/trades"]
    assert schema_check.breaking_changes(committed, changed) == []


# --- deprecation headers --------------------------------------------------------------------


@deprecated(
    since=datetime.date(2026, 12, 1),
    sunset=datetime.date(2027, 6, 30),
    link="https://example.com/docs/api-versioning",
    methods=["GET"],
)
class _OldView(APIView):
    permission_classes: list = []
    authentication_classes: list = []
    rate_class = None

    def get(self, request):
        return Response({"old": True})

    def post(self, request):
        return Response({"old": False})


urlpatterns = [path("api/v1/old", _OldView.as_view())]


@pytest.mark.django_db
@pytest.mark.urls("tests.test_schema")
def test_a_deprecated_operation_sends_deprecation_and_sunset(client):
    response = client.get("/api/v1/old")

    assert response.status_code == 200
    assert (
        response["Deprecation"]
        == f"@{int(datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC).timestamp())}"
    )
    assert response["Sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert response["Link"] == '<https://example.com/docs/api-versioning>; rel="deprecation"'


@pytest.mark.django_db
@pytest.mark.urls("tests.test_schema")
def test_other_methods_of_the_view_are_not_deprecated(client):
    response = client.post("/api/v1/old", data={}, content_type="application/json")

    assert response.status_code == 200
    assert not response.has_header("Deprecation")
    assert not response.has_header("Sunset")


@pytest.mark.urls("tests.test_schema")
def test_the_schema_marks_the_deprecated_operation():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/old"]
    assert operation["get"]["deprecated"] is True
    assert set(operation["get"]["responses"]["200"]["headers"]) == {"Deprecation", "Sunset"}
    assert "deprecated" not in operation["post"]


def test_a_sunset_before_the_deprecation_is_refused():
    with pytest.raises(ValueError, match="sunset"):
        deprecated(since=datetime.date(2027, 1, 1), sunset=datetime.date(2026, 1, 1))


def test_created_objects_link_to_their_operations(schema):
    links = schema["paths"]["/api/v1/orders"]["post"]["responses"]["201"]["links"]
    retrieve = schema["paths"]["/api/v1/orders/{order_id}"]["get"]["operationId"]
    assert links[retrieve] == {
        "operationId": retrieve,
        "parameters": {"order_id": "$response.body#/id"},
    }
