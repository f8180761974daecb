"""/me and /api-keys: scope matrix, account isolation (404 for other accounts), audit rows."""

import pytest
from rest_framework.test import APIClient

from access.errors import AccessValidationError
from access.models import ApiKey
from access.services import api_key_create
from access.tests.factories import AccountFactory, MembershipFactory, UserFactory
from access.tests.helpers import key_make, public_key_b64, simple_client
from audit.models import AuditEntry
from idempotency.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def _session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_me_lists_the_users_accounts_and_roles(trader, account, other_account):
    response = _session(trader).get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["roles"] == ["trader"]
    assert response.json()["accounts"] == [
        {"id": account.pk, "name": "Alpha", "base_currency": "USD"}
    ]


def test_me_for_a_key_shows_only_its_account(admin_user, account, other_account):
    api_key, secret = key_make(user=admin_user, account=account, scopes=["read"])

    body = simple_client(api_key, secret).get("/api/v1/me").json()

    assert body["accounts"] == [{"id": account.pk, "name": "Alpha", "base_currency": "USD"}]
    assert body["scopes"] == ["read"]
    assert body["roles"] == ["admin"]


def test_admin_user_sees_every_account(admin_user, account, other_account):
    body = _session(admin_user).get("/api/v1/me").json()

    assert [a["name"] for a in body["accounts"]] == ["Alpha", "Beta"]


def test_create_key_answers_the_secret_once_and_the_secret_works(admin_user, account):
    client = _session(admin_user)

    created = client.post(
        "/api/v1/api-keys",
        {"name": "bot", "scopes": ["read", "trade"], "allowed_ips": ["127.0.0.1"]},
        format="json",
    )

    assert created.status_code == 201
    body = created.json()
    assert body["account"] == account.pk
    assert body["scopes"] == ["read", "trade"]
    assert body["allowed_ips"] == ["127.0.0.1/32"]
    assert body["scheme"] == "simple"
    key = ApiKey.objects.get(pk=body["id"])
    assert key.user == admin_user
    me = simple_client(key, body["secret"]).get("/api/v1/me")
    assert me.status_code == 200
    detail = client.get(f"/api/v1/api-keys/{key.pk}").json()
    listed = client.get("/api/v1/api-keys").json()["results"]
    assert "secret" not in detail
    assert all("secret" not in row for row in listed)
    entry = AuditEntry.objects.get(action="api_key.created")
    assert (entry.object_id, entry.account_id, entry.actor_id) == (
        str(key.pk),
        account.pk,
        admin_user.pk,
    )
    assert body["secret"] not in str(entry.after)


def test_create_ed25519_key_has_no_secret(admin_user, account, ed25519_private_key):
    created = _session(admin_user).post(
        "/api/v1/api-keys",
        {"name": "signer", "scopes": ["read"], "public_key": public_key_b64(ed25519_private_key)},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["secret"] is None
    assert created.json()["scheme"] == "ed25519"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "scopes": ["fly"]}, "scopes.0"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["read"], "allowed_ips": ["nope"]}, "allowed_ips"),
        ({"name": "x", "scopes": ["read"], "rate_limits": {"data": "fast"}}, "rate_limits"),
        ({"name": "x", "scopes": ["read"], "scheme": "ed25519"}, "public_key"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_create_key_validates(admin_user, account, payload, field):
    response = _session(admin_user).post("/api/v1/api-keys", payload, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]["fields"]
    assert ApiKey.objects.count() == 0


def test_key_scopes_must_be_held_by_the_keys_user(trader, account):
    key_make(user=trader, account=account, scopes=["read"])

    with pytest.raises(AccessValidationError) as error:
        api_key_create(user=trader, account=account, name="x", scopes=["control"])

    assert error.value.details == {"fields": {"scopes": ["The key's user does not hold: control."]}}
    assert ApiKey.objects.count() == 1


def test_revoke_through_delete(admin_user, account):
    api_key, secret = key_make(user=admin_user, account=account, scopes=["read"])
    client = _session(admin_user)

    response = client.delete(f"/api/v1/api-keys/{api_key.pk}")
    again = client.delete(f"/api/v1/api-keys/{api_key.pk}")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert again.json()["revoked_at"] == response.json()["revoked_at"]
    assert simple_client(api_key, secret).get("/api/v1/me").status_code == 401
    assert AuditEntry.objects.filter(action="api_key.revoked").count() == 1


# --- scope matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "list_status", "create_status"),
    [
        (["read"], 403, 403),
        (["read", "trade"], 403, 403),
        (["read", "control"], 403, 403),
        (["admin"], 200, 201),
    ],
)
def test_scope_matrix_on_key_management(admin_user, account, scopes, list_status, create_status):
    api_key, secret = key_make(user=admin_user, account=account, scopes=scopes)
    client = simple_client(api_key, secret)

    listed = client.get("/api/v1/api-keys")
    created = client.post("/api/v1/api-keys", {"name": "n", "scopes": scopes}, format="json")
    revoked = client.delete(f"/api/v1/api-keys/{api_key.pk}")

    assert (listed.status_code, created.status_code) == (list_status, create_status)
    assert revoked.status_code == (200 if "admin" in scopes else 403)
    if create_status == 403:
        assert created.json()["error"]["code"] == "PERMISSION_DENIED"
        assert ApiKey.objects.count() == 1
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("trader", 403), ("admin", 201)])
def test_role_matrix_on_key_creation(account, role, status):
    user = UserFactory(roles=[role])
    MembershipFactory(user=user, account=account)

    response = _session(user).post(
        "/api/v1/api-keys", {"name": "n", "scopes": ["read"]}, format="json"
    )

    assert response.status_code == status


def test_read_key_reads_me(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=["read"])

    assert simple_client(api_key, secret).get("/api/v1/me").status_code == 200


def test_key_without_read_cannot_read(trader, account):
    api_key, secret = key_make(user=trader, account=account, scopes=["trade"])

    assert simple_client(api_key, secret).get("/api/v1/me").status_code == 403


# --- account isolation (BOLA) ---------------------------------------------------------------


@pytest.fixture
def foreign_key(other_admin, other_account):
    api_key, _ = key_make(user=other_admin, account=other_account, scopes=["read"])
    return api_key


@pytest.fixture
def admin_key_client(admin_user, account):
    api_key, secret = key_make(user=admin_user, account=account, scopes=["admin"])
    return simple_client(api_key, secret)


def test_another_accounts_key_is_not_found(admin_key_client, foreign_key):
    detail = admin_key_client.get(f"/api/v1/api-keys/{foreign_key.pk}")
    revoke = admin_key_client.delete(f"/api/v1/api-keys/{foreign_key.pk}")

    assert detail.status_code == 404
    assert revoke.status_code == 404
    assert detail.json()["error"]["code"] == "NOT_FOUND"
    assert ApiKey.objects.get(pk=foreign_key.pk).revoked_at is None


def test_list_shows_only_the_keys_account(admin_key_client, foreign_key, account):
    rows = admin_key_client.get("/api/v1/api-keys").json()["results"]

    assert {row["account"] for row in rows} == {account.pk}
    assert foreign_key.pk not in {row["id"] for row in rows}


def test_creating_a_key_on_another_account_is_not_found(admin_key_client, other_account):
    response = admin_key_client.post(
        "/api/v1/api-keys",
        {"name": "n", "scopes": ["read"], "account": other_account.pk},
        format="json",
    )

    assert response.status_code == 404
    assert ApiKey.objects.filter(account=other_account).count() == 0


def test_nonexistent_and_foreign_keys_answer_alike(admin_key_client, foreign_key):
    foreign = admin_key_client.get(f"/api/v1/api-keys/{foreign_key.pk}").json()["error"]
    missing = admin_key_client.get("/api/v1/api-keys/999999").json()["error"]

    assert foreign["code"] == missing["code"] == "NOT_FOUND"


def test_member_user_without_admin_role_sees_no_foreign_accounts(account, other_account):
    user = UserFactory(roles=["viewer"])
    MembershipFactory(user=user, account=other_account)

    body = _session(user).get("/api/v1/me").json()

    assert body["accounts"] == [{"id": other_account.pk, "name": "Beta", "base_currency": "USD"}]


def test_accounts_with_several_memberships(account, other_account):
    user = UserFactory(roles=["viewer"])
    MembershipFactory(user=user, account=account)
    MembershipFactory(user=user, account=AccountFactory(name="Gamma"))

    body = _session(user).get("/api/v1/me").json()

    assert [row["name"] for row in body["accounts"]] == ["Alpha", "Gamma"]


def test_key_creation_never_stores_the_secret_for_idempotent_replay(admin_user, account):
    client = _session(admin_user)

    created = client.post(
        "/api/v1/api-keys",
        {"name": "bot", "scopes": ["read"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="create-bot-1",
    )

    assert created.status_code == 201
    assert IdempotencyKey.objects.count() == 0
    revoked = client.delete(f"/api/v1/api-keys/{created.json()['id']}", HTTP_IDEMPOTENCY_KEY="r1")
    assert revoked.status_code == 200
    assert IdempotencyKey.objects.count() == 1
