"""Portfolio writes: deposits, balance locks, fill accounting and closing positions."""

from decimal import Decimal
from typing import Any

from django.db import models, transaction

from access.models import Account
from audit.services import audit_record
from kernel.db.insert import rows_insert
from kernel.db.prepared import Prepared
from kernel.decimals import quantize
from marketdata.models import Instrument
from portfolio.accounting import PositionState, position_after_fill
from portfolio.errors import InvalidAmount
from portfolio.events import balance_publish
from portfolio.models import Balance, LedgerEntry, LedgerKind, Position
from portfolio.representations import balance_representation

ZERO = Decimal(0)


def _row_lock(model: type[models.Model], **fields: models.Field) -> Prepared:
    """The compiled `SELECT ... FOR UPDATE` of the model's row with these field values."""
    return Prepared(
        lambda p: (
            model._default_manager.select_for_update()
            .filter(**{name: getattr(p, name) for name in fields})
            .order_by("pk")[:1]
        ),
        **fields,
    )


_BALANCE_FOR_UPDATE = _row_lock(
    Balance, account_id=models.BigIntegerField(), currency=models.CharField()
)


def balance_get_for_update(*, account_id: int, currency: str) -> Balance:
    """Return the account's balance row in `currency`, created empty if missing, row-locked.

    Call inside a transaction; callers lock balances after the order row and before positions.
    """
    found = _BALANCE_FOR_UPDATE.objects(account_id=account_id, currency=currency)
    if not found:
        Balance.objects.get_or_create(account_id=account_id, currency=currency)
        found = _BALANCE_FOR_UPDATE.objects(account_id=account_id, currency=currency)
    return found[0]


def balance_deposit(*, account: Account, currency: str, amount: Decimal) -> Balance:
    """Credit `amount` (> 0) of cash: one ledger entry, the balance total and available rise."""
    amount = Decimal(amount)
    if amount <= 0:
        raise InvalidAmount("A deposit must be positive", details={"amount": str(amount)})
    currency = currency.upper()
    with transaction.atomic():
        balance = balance_get_for_update(account_id=account.pk, currency=currency)
        before = balance_representation(balance)
        LedgerEntry.objects.create(
            account_id=account.pk, currency=currency, amount=amount, kind=LedgerKind.DEPOSIT
        )
        balance.total += amount
        balance.available += amount
        balance.save(update_fields=["total", "available", "updated_at"])
        audit_record(
            action="balance.deposited",
            object_type="balance",
            object_id=f"{account.pk}:{currency}",
            before=before,
            after=balance_representation(balance),
            account_id=account.pk,
        )
    balance_publish(balance=balance)
    return balance


def balance_lock(*, balance: Balance, amount: Decimal) -> Balance:
    """Move `amount` from available to locked on a row-locked balance; return it saved."""
    if amount:
        balance.locked += amount
        balance.available -= amount
        balance.save(update_fields=["locked", "available", "updated_at"])
    return balance


def balance_release(*, balance: Balance, amount: Decimal) -> Balance:
    """Move `amount` from locked back to available on a row-locked balance; return it saved."""
    return balance_lock(balance=balance, amount=-amount)


def balances_get_for_update(*, account_id: int, currencies: set[str]) -> dict[str, Balance]:
    """Return the account's balance rows in `currencies`, row-locked in currency order."""
    return {
        currency: balance_get_for_update(account_id=account_id, currency=currency)
        for currency in sorted(currencies)
    }


def fill_account(
    *,
    account_id: int,
    instrument: Instrument,
    order_id: int,
    fill: Any,
    signed_quantity: Decimal,
    release: Decimal,
    balances: dict[str, Balance],
) -> tuple[list[Balance], Position]:
    """Book a fill: trade and fee ledger entries, the balances (lock share released), the position.

    Call inside the fill's transaction with the order row and `balances` (from
    `balances_get_for_update`, covering the instrument and fee currencies) locked.
    Returns (balances, position).
    """
    currency = instrument.currency
    fee_currency = (fill.fee_currency or currency).upper()
    cash = quantize(-(signed_quantity * fill.price))
    entries = [
        LedgerEntry(
            account_id=account_id,
            currency=currency,
            amount=cash,
            kind=LedgerKind.TRADE,
            fill=fill,
            order_id=order_id,
        )
    ]
    balances[currency].total += cash
    balances[currency].locked -= release
    if fill.fee:
        entries.append(
            LedgerEntry(
                account_id=account_id,
                currency=fee_currency,
                amount=-fill.fee,
                kind=LedgerKind.FEE,
                fill=fill,
                order_id=order_id,
            )
        )
        balances[fee_currency].total -= fill.fee
    rows_insert(entries)
    for balance in balances.values():
        balance.available = balance.total - balance.locked
        balance.save(update_fields=["total", "available", "locked", "updated_at"])

    position = position_get_for_update(account_id=account_id, instrument_id=instrument.pk)
    state, _ = position_after_fill(
        PositionState(position.quantity, position.cost_basis, position.realized_pnl),
        signed_quantity=signed_quantity,
        price=fill.price,
    )
    opened = position.quantity == 0 or (position.quantity > 0) != (state.quantity > 0)
    if state.quantity == 0:
        position.opened_at = None
    elif opened:
        position.opened_at = fill.executed_at
    position.quantity = state.quantity
    position.cost_basis = state.cost
    position.average_entry_price = state.average_price
    position.realized_pnl = state.realized_pnl
    position.save()
    # The representation published after commit names the instrument: no query for it.
    position.instrument = instrument
    return list(balances.values()), position


_POSITION_FOR_UPDATE = _row_lock(
    Position, account_id=models.BigIntegerField(), instrument_id=models.BigIntegerField()
)


def position_get_for_update(*, account_id: int, instrument_id: int) -> Position:
    """Return the account's position row in the instrument, created flat if missing, row-locked."""
    found = _POSITION_FOR_UPDATE.objects(account_id=account_id, instrument_id=instrument_id)
    if not found:
        Position.objects.get_or_create(account_id=account_id, instrument_id=instrument_id)
        found = _POSITION_FOR_UPDATE.objects(account_id=account_id, instrument_id=instrument_id)
    return found[0]
