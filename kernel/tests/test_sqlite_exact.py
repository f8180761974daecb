"""Decimals stay exact in the database on both backends: storage, comparison, order, sums.

On SQLite this is the kernel's backend (text columns with the `decimal` collation and exact
DECIMAL_* functions); on PostgreSQL it is numeric. The same assertions hold on both.
"""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum

from access.tests.factories import AccountFactory
from kernel.db.backends.sqlite3.base import InexactDecimal
from kernel.db.expressions import ExactAbs, ExactMax, ExactMin, ExactMul, ExactSub, ExactSum
from portfolio.models import Balance, LedgerEntry, LedgerKind

pytestmark = pytest.mark.django_db

# Seventeen and eighteen significant digits: a float keeps fifteen or sixteen.
AMOUNTS = [
    D("115270.3339701130"),
    D("-53270.7996951132"),
    D("1234567.8900000014"),
    D("0.0000000001"),
]


def ledger(account, amounts):
    for amount in amounts:
        LedgerEntry.objects.create(
            account=account, currency="USD", amount=amount, kind=LedgerKind.DEPOSIT
        )
    return LedgerEntry.objects.filter(account=account)


def test_values_read_back_to_the_last_digit():
    entries = ledger(AccountFactory(), AMOUNTS)
    assert sorted(entries.values_list("amount", flat=True)) == sorted(AMOUNTS)


def test_comparisons_and_order_are_numeric_not_textual():
    entries = ledger(AccountFactory(), [D("9.5"), D("10"), D("-3"), D("100.25")])
    assert list(entries.order_by("amount").values_list("amount", flat=True)) == [
        D("-3"),
        D("9.5"),
        D("10"),
        D("100.25"),
    ]
    assert sorted(entries.filter(amount__gt=D("9.6")).values_list("amount", flat=True)) == [
        D("10"),
        D("100.25"),
    ]
    assert entries.filter(amount=D("10.000")).count() == 1


def test_exact_aggregates_add_every_digit():
    account = AccountFactory()
    entries = ledger(account, AMOUNTS)
    totals = entries.aggregate(
        total=ExactSum("amount"),
        largest=ExactMax("amount"),
        smallest=ExactMin("amount"),
        gross=ExactSum(ExactAbs(F("amount"))),
        doubled=ExactSum(ExactMul(F("amount"), F("amount"))),
        shifted=ExactSum(ExactSub(F("amount"), F("amount"))),
    )
    assert totals["total"] == sum(AMOUNTS)
    assert totals["largest"] == max(AMOUNTS)
    assert totals["smallest"] == min(AMOUNTS)
    assert totals["gross"] == sum(abs(a) for a in AMOUNTS)
    assert totals["doubled"] == sum(a * a for a in AMOUNTS)
    assert totals["shifted"] == 0
    assert LedgerEntry.objects.filter(account=AccountFactory()).aggregate(
        total=ExactSum("amount")
    ) == {"total": None}


def test_django_arithmetic_is_exact_on_postgresql_and_refused_on_sqlite():
    entries = ledger(AccountFactory(), AMOUNTS)
    if connection.vendor == "sqlite":
        # SQLite's own SUM goes through floats: the backend refuses to return that as a Decimal.
        with pytest.raises(InexactDecimal):
            entries.aggregate(total=Sum("amount"))
    else:
        assert entries.aggregate(total=Sum("amount"))["total"] == sum(AMOUNTS)


def test_the_balance_equation_has_no_tolerance():
    account = AccountFactory()
    total = D("1234567.89")
    Balance.objects.create(
        account=account,
        currency="USD",
        total=total,
        available=total - D("115270.3339701130"),
        locked=D("115270.3339701130"),
    )
    # One step of 1e-10 off: refused, where a float comparison would let it through.
    with pytest.raises(IntegrityError), transaction.atomic():
        Balance.objects.create(
            account=AccountFactory(),
            currency="USD",
            total=total,
            available=total - D("115270.3339701130"),
            locked=D("115270.3339701131"),
        )


def test_a_value_past_the_column_places_is_rounded_as_postgresql_rounds_it():
    entry = ledger(AccountFactory(), [D("1.00000000005")]).get()
    entry.refresh_from_db()
    assert entry.amount == D("1.0000000001")
