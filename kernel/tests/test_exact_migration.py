"""A database made before the exact SQLite backend is converted by `migrate`, balances exact."""

from decimal import Decimal as D

import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from kernel.db.backends.sqlite3.base import exact_decimals_register

# The last migrations before the exact ones: what an old embedded database was at.
BEFORE = [
    ("access", "0002_roles"),
    ("marketdata", "0001_initial"),
    ("orders", "0001_initial"),
    ("portfolio", "0002_equitysnapshot"),
    ("risk", "0002_circuitbreaker"),
    ("analytics", "0001_initial"),
]
ALIAS = "legacy"


def _connection(engine: str, path):
    """The database at `path` through `engine`, as Django's connection `legacy`."""
    if ALIAS in connections.settings:
        connections[ALIAS].close()
        del connections[ALIAS]
    connections.settings[ALIAS] = {
        **connections.settings["default"],
        "ENGINE": engine,
        "NAME": str(path),
        "OPTIONS": {},
    }
    return connections[ALIAS]


def _declared(connection, table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA table_info({table})")
        return {row[1]: row[2].lower() for row in cursor.fetchall()}


def test_old_float_columns_become_exact_text_and_balances_add_up(tmp_path, django_db_blocker):
    path = tmp_path / "old.sqlite3"
    with django_db_blocker.unblock():
        try:
            old = _connection("django.db.backends.sqlite3", path)
            old.ensure_connection()
            # Today's models name the exact functions in their constraints; an old database had
            # float checks there instead, which the rows below would have passed.
            exact_decimals_register(old.connection)
            MigrationExecutor(old).migrate(BEFORE)
            assert _declared(old, "portfolio_balance")["total"].startswith("decimal")
            with old.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = ON")
                cursor.execute(
                    "INSERT INTO access_account (name, base_currency, require_four_eyes, "
                    "created_at) VALUES ('Old', 'USD', 0, '2026-01-01 00:00:00')"
                )
                account = cursor.lastrowid
                # What float columns held: a total no longer equal to available + locked.
                cursor.execute(
                    "INSERT INTO portfolio_ledgerentry "
                    "(account_id, currency, amount, kind, created_at) "
                    "VALUES (%s, 'USD', 1234567.89, 'deposit', '2026-01-01 00:00:00')",
                    [account],
                )
                cursor.execute(
                    "INSERT INTO portfolio_balance "
                    "(account_id, currency, total, available, locked, updated_at) "
                    "VALUES (%s, 'USD', 1234567.89, 1234567.8900000014, 0, '2026-01-01')",
                    [account],
                )

            new = _connection("kernel.db.backends.sqlite3", path)
            executor = MigrationExecutor(new)
            executor.migrate(executor.loader.graph.leaf_nodes())

            assert _declared(new, "portfolio_balance")["total"] == "text"
            with new.cursor() as cursor:
                cursor.execute("SELECT total, available, locked FROM portfolio_balance")
                assert cursor.fetchall() == [("1234567.89", "1234567.89", "0")]
                cursor.execute("SELECT amount FROM portfolio_ledgerentry")
                assert [D(value) for (value,) in cursor.fetchall()] == [D("1234567.89")]
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]


@pytest.mark.django_db
def test_a_fresh_database_is_exact_from_the_start():
    from django.db import connection

    if connection.vendor == "sqlite":
        assert _declared(connection, "portfolio_balance")["total"] == "text"
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'portfolio_balance' AND column_name = 'total'"
            )
            assert cursor.fetchone() == ("numeric",)
