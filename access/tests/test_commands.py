"""manage.py create_api_key and the demo seeder."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from access.demo import demo_admin_seed
from access.models import Account, ApiKey, Membership
from access.seed import account_demo_seed
from access.tests.helpers import public_key_b64, simple_client

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


def test_create_api_key_json_prints_a_working_secret(trader, account):
    output = _run("--username", "tom", "--account", "Alpha", "--scopes", "read,trade", "--json")

    result = json.loads(output)
    api_key = ApiKey.objects.get(key_id=result["key_id"])
    assert result["scopes"] == ["read", "trade"]
    assert (result["account"], result["scheme"]) == (account.pk, "simple")
    assert simple_client(api_key, result["secret"]).get("/api/v1/me").status_code == 200


def test_create_api_key_shell_output_sets_key_id_and_secret(trader, account):
    output = _run("--username", "tom", "--account", "Alpha", "--scopes", "read", "--shell")

    values = dict(line.split("=", 1) for line in output.splitlines())
    api_key = ApiKey.objects.get(key_id=values["KEY_ID"])
    assert set(values) == {"KEY_ID", "SECRET"}
    assert simple_client(api_key, values["SECRET"]).get("/api/v1/me").status_code == 200


def test_create_api_key_text_output(trader, account):
    output = _run("--username", "tom", "--account", str(account.pk), "--scopes", "read")

    api_key = ApiKey.objects.get()
    assert f"key_id: {api_key.key_id}" in output
    assert f"Authorization: Api-Key {api_key.key_id}." in output


def test_create_hmac_and_ed25519_keys(trader, account, ed25519_private_key):
    hmac_result = json.loads(
        _run(
            "--username",
            "tom",
            "--account",
            "Alpha",
            "--scopes",
            "read",
            "--scheme",
            "hmac",
            "--json",
        )
    )
    ed_result = json.loads(
        _run(
            "--username",
            "tom",
            "--account",
            "Alpha",
            "--scopes",
            "read",
            "--public-key",
            public_key_b64(ed25519_private_key),
            "--json",
        )
    )

    assert hmac_result["scheme"] == "hmac"
    assert hmac_result["secret"]
    assert (ed_result["scheme"], ed_result["secret"]) == ("ed25519", None)


def test_create_api_key_refuses_scopes_the_user_lacks(trader, account):
    with pytest.raises(CommandError, match="control"):
        _run("--username", "tom", "--account", "Alpha", "--scopes", "control")
    assert ApiKey.objects.count() == 0


def test_create_api_key_refuses_unknown_user_and_account(trader, account):
    with pytest.raises(CommandError, match="No user"):
        _run("--username", "nobody", "--account", "Alpha", "--scopes", "read")
    with pytest.raises(CommandError, match="No account"):
        _run("--username", "tom", "--account", "Nope", "--scopes", "read")


def test_demo_seed_is_idempotent():
    demo_admin_seed(password="pw-for-test")

    first = account_demo_seed()
    second = account_demo_seed()

    account = Account.objects.get(name="Demo")
    assert first == second == f"account Demo (id {account.pk}, USD)"
    assert (
        Membership.objects.filter(account=account, user__username="admin", is_default=True).count()
        == 1
    )
