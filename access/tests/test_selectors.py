"""Account scoping helpers, roles and scopes."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIRequestFactory

from access.enums import ROLE_SCOPES
from access.errors import AccountRequired
from access.selectors import (
    account_ids_for,
    account_resolve,
    scopes_for,
    user_roles,
    user_scopes,
)
from access.services import membership_add
from access.tests.factories import AccountFactory, UserFactory
from access.tests.helpers import key_make
from kernel.errors import ObjectNotFound

pytestmark = pytest.mark.django_db


def _request(user, *, api_key=None, query=None):
    request = APIRequestFactory().get("/api/v1/anything", query or {})
    request.user, request.auth = user, api_key
    return request


def test_data_migration_creates_the_roles():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_SCOPES)


@pytest.mark.parametrize(
    ("roles", "scopes"),
    [
        (["viewer"], {"read"}),
        (["trader"], {"read", "trade"}),
        (["risk_manager"], {"read", "control"}),
        (["admin"], {"read", "trade", "control", "admin"}),
        (["viewer", "risk_manager"], {"read", "control"}),
        ([], set()),
    ],
)
def test_role_scopes(roles, scopes):
    assert user_scopes(UserFactory(roles=roles)) == scopes


def test_superuser_is_admin_with_every_scope():
    user = UserFactory(is_superuser=True)

    assert user_roles(user) == ["admin"]
    assert user_scopes(user) == {"read", "trade", "control", "admin"}


def test_inactive_user_has_no_scopes():
    assert user_scopes(UserFactory(roles=["admin"], is_active=False)) == frozenset()


def test_account_ids_for_member_admin_and_key(account, other_account, trader, admin_user):
    api_key, _ = key_make(user=admin_user, account=other_account)

    assert list(account_ids_for(trader)) == [account.pk]
    assert sorted(account_ids_for(admin_user)) == [account.pk, other_account.pk]
    assert list(account_ids_for(api_key)) == [other_account.pk]
    assert list(account_ids_for(_request(admin_user, api_key=api_key))) == [other_account.pk]
    assert list(account_ids_for({"user": trader, "api_key": None})) == [account.pk]


def test_key_scopes_are_the_intersection_with_the_owners(trader, account):
    api_key, _ = key_make(user=trader, account=account, scopes=["read", "trade"])
    trader.groups.set([Group.objects.get(name="viewer")])

    assert scopes_for(_request(trader, api_key=api_key)) == {"read"}


def test_resolve_uses_the_only_account(trader, account):
    assert account_resolve(_request(trader)) == account


def test_resolve_uses_the_named_account(trader, account):
    assert account_resolve(_request(trader, query={"account": str(account.pk)})) == account


def test_resolve_refuses_an_invisible_account_as_not_found(trader, other_account):
    with pytest.raises(ObjectNotFound):
        account_resolve(_request(trader, query={"account": str(other_account.pk)}))
    with pytest.raises(ObjectNotFound):
        account_resolve(_request(trader), "not-a-number")


def test_resolve_with_several_accounts_needs_a_default(trader, account):
    second = AccountFactory(name="Second")
    membership_add(user=trader, account=second)

    with pytest.raises(AccountRequired):
        account_resolve(_request(trader))
    membership_add(user=trader, account=second, is_default=True)
    assert account_resolve(_request(trader)) == second


def test_resolve_for_a_key_is_its_account(admin_user, account, other_account):
    api_key, _ = key_make(user=admin_user, account=other_account)

    assert account_resolve(_request(admin_user, api_key=api_key)) == other_account
    with pytest.raises(ObjectNotFound):
        account_resolve(_request(admin_user, api_key=api_key), account.pk)


def test_resolve_without_accounts_is_not_found():
    with pytest.raises(ObjectNotFound):
        account_resolve(_request(UserFactory(roles=["viewer"])))


def test_membership_default_moves(trader, account):
    second = AccountFactory(name="Second")

    membership_add(user=trader, account=account, is_default=True)
    membership_add(user=trader, account=second, is_default=True)

    assert list(trader.memberships.filter(is_default=True).values_list("account", flat=True)) == [
        second.pk
    ]
