"""Demo data: the "Demo" account (USD) with the demo admin as its default member."""

from django.contrib.auth import get_user_model
from django.db import transaction

from access.demo import DEMO_ADMIN_USERNAME
from access.models import Account
from access.services import account_create, membership_add

DEMO_ACCOUNT_NAME = "Demo"


@transaction.atomic
def account_demo_seed() -> str:
    """Create the demo account and membership if missing; return a one-line summary."""
    account = Account.objects.filter(name=DEMO_ACCOUNT_NAME).first()
    if account is None:
        account = account_create(name=DEMO_ACCOUNT_NAME, base_currency="USD")
    admin = get_user_model().objects.filter(username=DEMO_ADMIN_USERNAME).first()
    if admin is not None:
        membership_add(user=admin, account=account, is_default=True)
    return f"account {account.name} (id {account.pk}, {account.base_currency})"
