"""The contract's error shape for every kind of failure under /api/."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["code"] == code
    assert error["request_id"] == response["X-Request-ID"]
    return error


def test_unknown_api_path_is_json_404(client):
    error = _assert_error(client.get("/api/v1/does-not-exist"), 404, "NOT_FOUND")
    assert error["message"] == "No endpoint at /api/v1/does-not-exist"


def test_unknown_path_outside_v1_is_json_404(client):
    _assert_error(client.get("/api/v2/orders"), 404, "NOT_FOUND")


def test_method_not_allowed_is_405(client):
    error = _assert_error(client.delete("/api/v1/health"), 405, "METHOD_NOT_ALLOWED")
    assert error["message"] == 'Method "DELETE" not allowed.'


def test_validation_error_names_each_field(client):
    response = client.post(
        "/api/v1/test/echo",
        data={"price": "abc", "legs": [{"a": 1}, "x"]},
        content_type="application/json",
    )
    error = _assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["fields"] == {
        "price": ["A valid number is required."],
        "quantity": ["This field is required."],
        "legs.1": ['Expected a dictionary of items but got type "str".'],
    }
    assert error["message"] == "Invalid input: legs.1, price, quantity"


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/test/echo", data="{nope", content_type="application/json")
    error = _assert_error(response, 400, "MALFORMED_REQUEST")
    assert error["message"].startswith("Malformed JSON")


def test_application_error_keeps_code_status_and_details(client):
    error = _assert_error(client.get("/api/v1/test/conflict"), 409, "CONFLICT")
    assert error["message"] == "Already done"
    assert error["details"] == {"id": 7}


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_exception_is_json_500_without_traceback(client, settings, debug):
    # given: a view that crashes, in production-like and debug configuration
    settings.DEBUG = debug
    client.raise_request_exception = False
    # when
    response = client.get("/api/v1/test/boom", HTTP_X_REQUEST_ID="crash-1")
    # then
    error = _assert_error(response, 500, "INTERNAL_ERROR")
    assert error["request_id"] == "crash-1"
    assert error["message"] == "Internal server error"
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_anonymous_status_is_401_in_error_shape(client):
    _assert_error(client.get("/api/v1/status"), 401, "NOT_AUTHENTICATED")
