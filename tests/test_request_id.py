"""X-Request-ID on every response, and on every log line of the request."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_generated_when_absent(client):
    response = client.get("/api/v1/health")
    assert len(response["X-Request-ID"]) == 32


def test_echoed_when_sent(client):
    response = client.get("/api/v1/health", HTTP_X_REQUEST_ID="client-abc.1")
    assert response["X-Request-ID"] == "client-abc.1"


@pytest.mark.parametrize("unsafe", ["has space", "x" * 129, "new\nline"])
def test_unsafe_ids_are_replaced(client, unsafe):
    response = client.get("/api/v1/health", HTTP_X_REQUEST_ID=unsafe)
    assert response["X-Request-ID"] != unsafe
    assert len(response["X-Request-ID"]) == 32


def test_present_on_non_api_pages(client):
    assert client.get("/admin/login/")["X-Request-ID"]


@pytest.mark.urls("tests.urls")
def test_log_lines_carry_the_request_id(client, caplog):
    from kernel.request_context import RequestIDLogFilter

    caplog.handler.addFilter(RequestIDLogFilter())
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        client.get("/api/v1/test/boom", HTTP_X_REQUEST_ID="trace-me")
    records = [r for r in caplog.records if r.name == "kernel.api.errors"]
    assert records
    assert {r.request_id for r in records} == {"trace-me"}
