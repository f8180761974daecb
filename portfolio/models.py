"""Balances, the cash ledger behind them, and positions."""

from typing import Any

from django.db import models
from django.db.models import BooleanField, F, Func, Q

from kernel.db.fields import decimal_field
from kernel.decimals import decimal_display


class TotalIsSum(Func):
    """`total = available + locked`, exactly, on every backend.

    On SQLite the kernel's backend stores decimals as text and adds them with DECIMAL_ADD, so
    the check has no tolerance there either.
    """

    output_field = BooleanField()
    conditional = True
    arity = 3

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        total, available, locked = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"{total[0]} = ({available[0]} + {locked[0]})"
        return sql, (*total[1], *available[1], *locked[1])

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        total, available, locked = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"{total[0]} = DECIMAL_ADD({available[0]}, {locked[0]})"
        return sql, (*total[1], *available[1], *locked[1])


class LedgerKind(models.TextChoices):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRADE = "trade"
    FEE = "fee"


class Balance(models.Model):
    """Cash of one account in one currency; `total` is the sum of its ledger entries."""

    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="balances")
    currency = models.CharField(max_length=10)
    total = decimal_field(default=0)
    available = decimal_field(default=0)
    locked = decimal_field(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency"], name="balance_account_currency"
            ),
            models.CheckConstraint(
                condition=TotalIsSum(F("total"), F("available"), F("locked")),
                name="balance_total_is_sum",
            ),
            models.CheckConstraint(condition=Q(locked__gte=0), name="balance_locked_gte_0"),
            # No margin: cash is never overdrawn, so total (= available + locked) is never
            # below zero either.
            models.CheckConstraint(condition=Q(available__gte=0), name="balance_available_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.currency} {decimal_display(self.total)}"


class LedgerEntry(models.Model):
    """One signed cash movement; entries are never changed or deleted."""

    account = models.ForeignKey(
        "access.Account", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    currency = models.CharField(max_length=10)
    amount = decimal_field()
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    fill = models.ForeignKey(
        "orders.Fill", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["account", "currency"], name="ledger_account_currency")]

    def __str__(self) -> str:
        return f"{self.kind} {decimal_display(self.amount)} {self.currency}"


class Position(models.Model):
    """Signed quantity (long > 0) of one instrument in one account, at average cost."""

    account = models.ForeignKey(
        "access.Account", on_delete=models.PROTECT, related_name="positions"
    )
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="positions"
    )
    quantity = decimal_field(default=0)
    # What the open quantity cost (sum of quantity x price, released pro rata when it shrinks);
    # the average entry price is this over the quantity.
    cost_basis = decimal_field(default=0)
    average_entry_price = decimal_field(default=0)
    realized_pnl = decimal_field(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["instrument__symbol"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "instrument"], name="position_account_instrument"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.instrument_id} {decimal_display(self.quantity)}"


class EquitySnapshot(models.Model):
    """The account's equity at one moment, with the running peak and the drawdown from it."""

    account = models.ForeignKey(
        "access.Account", on_delete=models.CASCADE, related_name="equity_snapshots"
    )
    timestamp = models.DateTimeField()
    equity = decimal_field()
    cash = decimal_field()
    positions_value = decimal_field()
    peak_equity = decimal_field()
    drawdown_pct = decimal_field()

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["account", "timestamp"], name="equity_account_timestamp")]

    def __str__(self) -> str:
        return (
            f"{self.account_id} {self.timestamp:%Y-%m-%d %H:%M:%S} {decimal_display(self.equity)}"
        )
