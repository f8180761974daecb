"""Runs inside the test server's `manage.py shell` (server code, not the client's): creates
the users, accounts, cash and API keys the client tests use, then prints them as one JSON line.

Reads CLIENT_TEST_SETUP (JSON): {"users": [{username, password, roles}], "accounts": [{name,
members: [[username, is_default]], four_eyes, deposit}], "keys": [{name, owner, account,
scheme, scopes, public_key?, rate_limits}]}.
"""

import json
import os
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from access.services import account_create, api_key_create, membership_add
from portfolio.services import balance_deposit

spec = json.loads(os.environ["CLIENT_TEST_SETUP"])
User = get_user_model()
for entry in spec["users"]:
    user = User.objects.create_user(username=entry["username"], password=entry["password"])
    for role in entry["roles"]:
        user.groups.add(Group.objects.get(name=role))
accounts = {}
for entry in spec["accounts"]:
    account = account_create(name=entry["name"], require_four_eyes=entry.get("four_eyes", False))
    for username, is_default in entry.get("members", []):
        membership_add(
            user=User.objects.get(username=username), account=account, is_default=is_default
        )
    if entry.get("deposit"):
        balance_deposit(account=account, currency="USD", amount=Decimal(entry["deposit"]))
    accounts[entry["name"]] = account
keys = {}
for entry in spec["keys"]:
    account = accounts.get(entry["account"])
    if account is None:
        from access.models import Account

        account = Account.objects.get(name=entry["account"])
    api_key, secret = api_key_create(
        user=User.objects.get(username=entry["owner"]),
        account=account,
        name=entry["name"],
        scopes=entry["scopes"],
        scheme=entry.get("scheme"),
        public_key=entry.get("public_key", ""),
        rate_limits=entry.get("rate_limits"),
    )
    keys[entry["name"]] = {
        "id": api_key.pk,
        "key_id": api_key.key_id,
        "secret": secret,
        "scheme": api_key.scheme,
        "account": account.pk,
    }
print(
    "CLIENT-TEST-SETUP "
    + json.dumps({"accounts": {n: a.pk for n, a in accounts.items()}, "keys": keys})
)
