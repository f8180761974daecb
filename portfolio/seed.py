"""Demo data: the demo account's starting cash, deposited once."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction

from access.models import Account
from access.seed import DEMO_ACCOUNT_NAME
from kernel.decimals import decimal_text
from portfolio.models import LedgerEntry, LedgerKind
from portfolio.services import balance_deposit


def money_text(amount: Decimal) -> str:
    """An amount as a person reads it: thousands grouped, no trailing zeros (1,000,000)."""
    whole, _, fraction = decimal_text(amount).partition(".")
    sign, digits = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
    return f"{sign}{int(digits):,}" + (f".{fraction}" if fraction else "")


@transaction.atomic
def portfolio_demo_seed() -> str:
    """Deposit the demo cash unless the demo account already has a deposit; return a summary."""
    account = Account.objects.select_for_update().filter(name=DEMO_ACCOUNT_NAME).first()
    if account is None:
        return "portfolio: no demo account"
    currency = account.base_currency
    if LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEPOSIT).exists():
        return f"portfolio: {account.name} already funded"
    balance = balance_deposit(
        account=account, currency=currency, amount=Decimal(settings.PORTFOLIO_DEMO_DEPOSIT)
    )
    return f"portfolio: deposited {money_text(balance.total)} {currency} to {account.name}"
