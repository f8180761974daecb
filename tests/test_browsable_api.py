"""The browsable API and the admin, as a person sees them: product name, favicon, readable JSON."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")
    client.force_login(user)
    return client


def test_the_browsable_api_pretty_prints_json_and_names_the_product(staff_client, settings):
    page = staff_client.get("/api/v1/status", HTTP_ACCEPT="text/html").content.decode()

    assert "Trading back-office API" in page
    assert f"{{\n  &quot;mode&quot;: &quot;{settings.RUN_MODE}&quot;," in page
    assert 'rel="icon"' in page


def test_json_clients_get_compact_json_unless_they_ask_for_an_indent(staff_client):
    compact = staff_client.get("/api/v1/health").content
    indented = staff_client.get("/api/v1/health", HTTP_ACCEPT="application/json; indent=2")

    assert compact == b'{"status":"ok","checks":{"database":"up","cache":"up"}}'
    assert indented.content == (
        b'{\n  "status": "ok",\n  "checks": {\n    "database": "up",\n    "cache": "up"\n  }\n}'
    )


def test_the_login_page_names_the_product_and_has_a_favicon(client):
    page = client.get("/api/v1/auth/login/").content.decode()

    assert "Trading back-office</h3>" in page
    assert "Django REST framework</h3>" not in page
    assert "favicon.svg" in page


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
    assert client.get(response["Location"]).status_code == 200


def test_the_admin_names_the_product(staff_client):
    page = staff_client.get("/admin/").content.decode()

    assert "Trading back-office admin" in page
    assert "favicon.svg" in page
    assert "Kill switch" in page
