"""Admin: create a key with the secret shown once, revoke action, memberships, role changes."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from access.models import Account, ApiKey, Membership
from access.tests.factories import UserFactory
from access.tests.helpers import key_make, simple_client
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(admin_user):
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


def test_admin_creates_a_key_and_shows_the_secret_once(staff_client, trader, account):
    response = staff_client.post(
        "/admin/access/apikey/add/",
        {
            "name": "desk bot",
            "account": account.pk,
            "user": trader.pk,
            "scheme": "simple",
            "scopes": ["read", "trade"],
            "public_key": "",
            "expires_at_0": "",
            "expires_at_1": "",
            "allowed_ips": "10.0.0.0/8, 127.0.0.1",
            "rate_limit_data": "20/s",
            "rate_limit_trading": "",
        },
        follow=True,
    )

    assert response.status_code == 200
    api_key = ApiKey.objects.get()
    page = response.content.decode()
    match = re.search(rf"Api-Key {api_key.key_id}\.([A-Za-z0-9_-]+)", page)
    assert match is not None
    secret = match.group(1)
    assert (api_key.user, api_key.scopes) == (trader, ["read", "trade"])
    assert api_key.allowed_ips == ["10.0.0.0/8", "127.0.0.1/32"]
    assert api_key.rate_limits == {"data": "20/s"}
    assert simple_client(api_key, secret).get("/api/v1/me").status_code == 200
    assert (
        secret
        not in staff_client.get(f"/admin/access/apikey/{api_key.pk}/change/").content.decode()
    )
    assert (
        AuditEntry.objects.filter(action="api_key.created", object_id=str(api_key.pk)).count() == 1
    )


def test_admin_refuses_scopes_the_user_lacks(staff_client, trader, account):
    response = staff_client.post(
        "/admin/access/apikey/add/",
        {
            "name": "too strong",
            "account": account.pk,
            "user": trader.pk,
            "scheme": "simple",
            "scopes": ["admin"],
            "allowed_ips": "",
            "rate_limit_data": "",
        },
    )

    assert response.status_code == 200
    assert "does not hold: admin" in response.content.decode()
    assert ApiKey.objects.count() == 0


def test_admin_edits_scopes_and_limits(staff_client, trader, account):
    api_key, _ = key_make(user=trader, account=account, scopes=["read", "trade"])

    response = staff_client.post(
        f"/admin/access/apikey/{api_key.pk}/change/",
        {
            "name": "renamed",
            "scopes": ["read"],
            "expires_at_0": "",
            "expires_at_1": "",
            "allowed_ips": "",
            "rate_limit_trading": "2/s",
        },
    )

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert (api_key.name, api_key.scopes, api_key.rate_limits) == (
        "renamed",
        ["read"],
        {"trading": "2/s"},
    )
    assert AuditEntry.objects.filter(action="api_key.updated").count() == 1


def test_admin_revoke_action(staff_client, trader, account):
    api_key, secret = key_make(user=trader, account=account)

    response = staff_client.post(
        "/admin/access/apikey/",
        {"action": "revoke_selected", "_selected_action": [api_key.pk]},
    )

    assert response.status_code == 302
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None
    assert simple_client(api_key, secret).get("/api/v1/me").status_code == 401


def test_admin_account_with_memberships(staff_client, trader):
    response = staff_client.post(
        "/admin/access/account/add/",
        {
            "name": "Gamma",
            "base_currency": "eur",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-user": trader.pk,
            "memberships-0-is_default": "on",
        },
    )

    assert response.status_code == 302
    account = Account.objects.get(name="Gamma")
    assert account.base_currency == "EUR"
    assert Membership.objects.get(account=account).user == trader
    assert list(
        AuditEntry.objects.filter(action__in=["account.created", "membership.created"])
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["account.created", "membership.created"]


def test_admin_role_change_is_audited(staff_client):
    user = UserFactory(username="vic", roles=["viewer"])
    trader_group = Group.objects.get(name="trader")

    response = staff_client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": "vic",
            "is_active": "on",
            "groups": [trader_group.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="user.roles_changed")
    assert (entry.before, entry.after) == ({"roles": ["viewer"]}, {"roles": ["trader"]})


def test_admin_pages_render(staff_client, trader, account):
    key_make(user=trader, account=account)

    for url in [
        "/admin/access/apikey/",
        "/admin/access/apikey/add/",
        "/admin/access/account/",
        "/admin/access/account/add/",
        f"/admin/access/account/{account.pk}/change/",
        f"/admin/auth/user/{trader.pk}/change/",
        "/admin/auth/user/",
    ]:
        assert staff_client.get(url).status_code == 200, url


def test_staff_with_the_admin_role_manages_keys_and_roles_without_superuser(account, trader):
    manager = UserFactory(username="mia", roles=["admin"], is_staff=True)
    client = Client()
    client.force_login(manager)

    pages = [
        client.get(url).status_code
        for url in [
            "/admin/access/apikey/add/",
            "/admin/access/account/",
            f"/admin/auth/user/{trader.pk}/change/",
            "/admin/auth/group/",
        ]
    ]

    assert pages == [200, 200, 200, 200]


def test_staff_without_the_admin_role_cannot_manage_keys(account):
    viewer = UserFactory(username="val", roles=["viewer"], is_staff=True)
    client = Client()
    client.force_login(viewer)

    assert client.get("/admin/access/apikey/add/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403


def test_the_key_form_shows_rate_limits_as_fields_not_json(
    staff_client, admin_user, trader, account, settings
):
    api_key, _ = key_make(user=trader, account=account, scopes=["read"])
    staff_client.post(
        f"/admin/access/apikey/{api_key.pk}/change/",
        {"name": "k", "scopes": ["read"], "expires_at_0": "", "expires_at_1": "",
         "allowed_ips": "", "rate_limit_data": "30/m", "rate_limit_trading": ""},
    )  # fmt: skip

    add = staff_client.get("/admin/access/apikey/add/").content.decode()
    change = staff_client.get(f"/admin/access/apikey/{api_key.pk}/change/").content.decode()

    assert "null" not in add
    assert 'name="rate_limits"' not in add
    assert 'name="rate_limit_trading"' in add
    assert f'placeholder="{settings.RATE_LIMITS["trading"]}"' in add
    assert 'name="rate_limit_data" value="30/m"' in change
    refused = staff_client.post(
        f"/admin/access/apikey/{api_key.pk}/change/",
        {"name": "k", "scopes": ["read"], "expires_at_0": "", "expires_at_1": "",
         "allowed_ips": "", "rate_limit_data": "lots", "rate_limit_trading": ""},
    )  # fmt: skip
    assert refused.status_code == 200
    api_key.refresh_from_db()
    assert api_key.rate_limits == {"data": "30/m"}
    # The one change that went through is audited with the staff user as the actor.
    (entry,) = AuditEntry.objects.filter(action="api_key.updated")
    assert entry.actor_username == admin_user.get_username()
