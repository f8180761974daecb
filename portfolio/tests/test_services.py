"""Portfolio services: deposits, the demo seed, and fill accounting across currencies."""

from decimal import Decimal

import pytest

from access.seed import account_demo_seed
from access.tests.factories import AccountFactory
from audit.models import AuditEntry
from marketdata.tests.factories import InstrumentFactory
from orders.services import order_submit
from orders.tests.helpers import balance_of, fill, invariants_check, quote_set
from portfolio.errors import InvalidAmount
from portfolio.models import Balance, LedgerEntry
from portfolio.seed import portfolio_demo_seed
from portfolio.services import balance_deposit

D = Decimal
pytestmark = pytest.mark.django_db


def test_deposit_writes_ledger_balance_and_audit():
    account = AccountFactory()
    balance = balance_deposit(account=account, currency="usd", amount=D("250.25"))
    assert (balance.currency, balance.total, balance.available, balance.locked) == (
        "USD",
        D("250.25"),
        D("250.25"),
        D("0"),
    )
    assert list(LedgerEntry.objects.values_list("kind", "amount")) == [("deposit", D("250.25"))]
    assert AuditEntry.objects.filter(action="balance.deposited").count() == 1


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_deposit_must_be_positive(amount):
    account = AccountFactory()
    with pytest.raises(InvalidAmount):
        balance_deposit(account=account, currency="USD", amount=D(amount))
    assert Balance.objects.count() == 0
    assert LedgerEntry.objects.count() == 0


def test_demo_seed_funds_once():
    account_demo_seed()
    first = portfolio_demo_seed()
    second = portfolio_demo_seed()
    assert first == "portfolio: deposited 1,000,000 USD to Demo"
    assert second == "portfolio: Demo already funded"
    assert Balance.objects.get().total == D("1000000")
    assert LedgerEntry.objects.count() == 1


def test_fee_in_another_currency_books_on_its_own_balance():
    account = AccountFactory()
    balance_deposit(account=account, currency="USD", amount=D("10000"))
    balance_deposit(account=account, currency="BNB", amount=D("5"))
    InstrumentFactory(symbol="ETHUSD", lot_size=D("0.01"), min_quantity=D("0.01"))
    quote_set("ETHUSD", bid="2000", ask="2000.5")
    order = order_submit(
        account=account,
        symbol="ETHUSD",
        side="buy",
        order_type="limit",
        quantity=D("1"),
        limit_price=D("2000.00"),
    )
    from orders.services import order_apply_fill
    from orders.tests.helpers import T0

    order_apply_fill(
        order_id=order.pk,
        venue_exec_id="BNB-1",
        quantity=D("1"),
        price=D("2000"),
        fee=D("0.01"),
        fee_currency="bnb",
        liquidity="maker",
        executed_at=T0,
    )
    assert balance_of(account, "USD").total == D("8000")
    assert balance_of(account, "BNB").total == D("4.99")
    invariants_check(account)


def test_short_then_cover_realizes_pnl():
    account = AccountFactory()
    balance_deposit(account=account, currency="USD", amount=D("10000"))
    InstrumentFactory(symbol="SHRT")
    quote_set("SHRT", bid="50", ask="50.02")
    sell = order_submit(
        account=account, symbol="SHRT", side="sell", order_type="market", quantity=D("10")
    )
    fill(sell, quantity="10", price="50")
    cover = order_submit(
        account=account,
        symbol="SHRT",
        side="buy",
        order_type="limit",
        quantity=D("10"),
        limit_price=D("45.00"),
    )
    fill(cover, quantity="10", price="45")
    position = account.positions.get()
    assert (position.quantity, position.realized_pnl, position.opened_at) == (D("0"), D("50"), None)
    assert balance_of(account).total == D("10050")
    invariants_check(account)
