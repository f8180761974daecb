"""The default permission: declared scopes, fail-closed defaults; credential labels."""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.tokens import AccessToken

from access.permissions import HasRequiredScope, required_scope_for
from access.tests.factories import UserFactory
from access.tests.helpers import key_make
from kernel.identity import credential_label

pytestmark = pytest.mark.django_db


class Undeclared:
    pass


class Declared:
    required_scope = "control"


class ByAction:
    required_scope = {"list": "read", "create": "trade", "DELETE": "control"}

    def __init__(self, action=None):
        self.action = action


def _request(method: str, user=None, auth=None):
    request = getattr(APIRequestFactory(), method.lower())("/api/v1/x")
    request.user, request.auth = user, auth
    return request


@pytest.mark.parametrize(
    ("method", "view", "scope"),
    [
        ("GET", Undeclared(), "read"),
        ("HEAD", Undeclared(), "read"),
        ("POST", Undeclared(), "admin"),
        ("PUT", Undeclared(), "admin"),
        ("PATCH", Undeclared(), "admin"),
        ("DELETE", Undeclared(), "admin"),
        ("GET", Declared(), "control"),
        ("POST", Declared(), "control"),
        ("GET", ByAction("list"), "read"),
        ("POST", ByAction("create"), "trade"),
        ("DELETE", ByAction("destroy"), "control"),
        ("PATCH", ByAction("partial_update"), "admin"),
    ],
)
def test_required_scope(method, view, scope):
    assert required_scope_for(_request(method), view) == scope


@pytest.mark.parametrize(
    ("roles", "method", "allowed"),
    [
        (["viewer"], "GET", True),
        (["viewer"], "POST", False),
        (["trader"], "POST", False),
        (["risk_manager"], "POST", True),
        (["admin"], "POST", True),
        ([], "GET", False),
    ],
)
def test_roles_against_a_control_endpoint(roles, method, allowed):
    view = ByAction("create" if method == "POST" else "list")
    view.required_scope = {"list": "read", "create": "control"}
    user = UserFactory(roles=roles)

    assert HasRequiredScope().has_permission(_request(method, user=user), view) is allowed


def test_anonymous_is_refused():
    assert (
        HasRequiredScope().has_permission(_request("GET", AnonymousUser()), Undeclared()) is False
    )


def test_credential_labels(trader, account):
    api_key, _ = key_make(user=trader, account=account)
    token = AccessToken.for_user(trader)

    assert credential_label(_request("GET", trader, api_key)) == f"api_key:{api_key.key_id}"
    assert credential_label(_request("GET", trader, token)) == f"jwt:{token['jti']}"
    assert credential_label(_request("GET", trader, None)) == "session"
    assert credential_label(_request("GET", AnonymousUser(), None)) == "anonymous"
