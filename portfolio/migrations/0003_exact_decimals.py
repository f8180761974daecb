from django.db import migrations

from kernel.db.migrations import ExactDecimalsOnSQLite

WORKING_STATUSES = ("pending", "open", "partially_filled", "pending_cancel")


def balances_reconcile(apps, schema_editor):
    """Make every balance exact after its floats were rewritten as text (SQLite only).

    total is the sum of the ledger, locked the sum of the working orders' locks, and available
    what is left: the invariants hold to the last digit again.
    """
    if schema_editor.connection.vendor != "sqlite":
        return
    db = schema_editor.connection.alias
    balance_model = apps.get_model("portfolio", "Balance")
    ledger_model = apps.get_model("portfolio", "LedgerEntry")
    order_model = apps.get_model("orders", "Order")
    for balance in balance_model.objects.using(db).all():
        total = sum(
            ledger_model.objects.using(db)
            .filter(account_id=balance.account_id, currency=balance.currency)
            .values_list("amount", flat=True),
            start=balance.total * 0,
        )
        locked = sum(
            order_model.objects.using(db)
            .filter(
                account_id=balance.account_id,
                instrument__currency=balance.currency,
                status__in=WORKING_STATUSES,
            )
            .values_list("locked_amount", flat=True),
            start=total * 0,
        )
        balance_model.objects.using(db).filter(pk=balance.pk).update(
            total=total, locked=locked, available=total - locked
        )


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0002_equitysnapshot"), ("orders", "0002_exact_decimals")]

    operations = [
        ExactDecimalsOnSQLite("portfolio"),
        migrations.RunPython(balances_reconcile, migrations.RunPython.noop),
    ]
