"""Cursor pagination: opaque cursor, limit bounds, stable pages."""

import pytest
from django.contrib.auth.models import Group

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


@pytest.fixture
def groups():
    Group.objects.all().delete()
    return [Group.objects.create(name=f"g{i:03d}") for i in range(7)]


def test_pages_walk_newest_first_without_overlap(client, groups):
    seen, url = [], "/api/v1/test/groups?limit=3"
    while url:
        body = client.get(url).json()
        assert set(body) == {"results", "next"}
        seen += [row["name"] for row in body["results"]]
        url = body["next"]
    assert seen == [g.name for g in reversed(groups)]


def test_default_limit_is_50(client):
    Group.objects.bulk_create([Group(name=f"n{i}") for i in range(60)])
    body = client.get("/api/v1/test/groups").json()
    assert len(body["results"]) == 50
    assert body["next"] is not None


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten"])
def test_limit_out_of_bounds_is_400_naming_the_field(client, limit):
    response = client.get(f"/api/v1/test/groups?limit={limit}")
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == ["limit"]


def test_tampered_cursor_is_400(client, groups):
    response = client.get("/api/v1/test/groups?cursor=not-a-cursor")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["fields"] == {"cursor": ["Invalid cursor."]}
