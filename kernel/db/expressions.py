"""Exact Decimal SQL on every backend.

PostgreSQL's numeric is exact, so these compile to plain SQL there. SQLite has no decimal
type: the project's backend (`kernel.db.backends.sqlite3`) stores decimals as text and
registers exact functions, and these expressions call them instead of SQLite's own arithmetic,
which would go through 8-byte floats. Use them for any sum, product, difference, absolute value,
minimum or maximum of Decimal columns; the backend refuses a float where a Decimal is expected,
so a query that slips past them fails loudly instead of drifting.
"""

from typing import Any

from django.db.models import Func, Max, Min, Sum
from django.db.models.functions import Abs

from kernel.db.fields import decimal_output


class _ExactOnSQLite(Func):
    """Compile to `sqlite_function(...)` on SQLite, skipping Django's cast to (float) NUMERIC."""

    sqlite_function = ""

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        extra_context["function"] = self.sqlite_function
        return self.as_sql(compiler, connection, **extra_context)


class ExactSum(_ExactOnSQLite, Sum):
    sqlite_function = "DECIMAL_SUM"


class ExactMax(_ExactOnSQLite, Max):
    sqlite_function = "DECIMAL_MAX"


class ExactMin(_ExactOnSQLite, Min):
    sqlite_function = "DECIMAL_MIN"


class ExactAbs(_ExactOnSQLite, Abs):
    sqlite_function = "DECIMAL_ABS"


class _Binary(Func):
    """`a <op> b` in SQL, or `DECIMAL_<OP>(a, b)` on SQLite; the result is a project Decimal."""

    arity = 2
    operator = ""
    sqlite_function = ""

    def __init__(self, left: Any, right: Any, **extra: Any):
        super().__init__(left, right, output_field=decimal_output(), **extra)

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="(%(expressions)s)",
            arg_joiner=f" {self.operator} ",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return Func.as_sql(
            self, compiler, connection, function=self.sqlite_function, **extra_context
        )


class ExactMul(_Binary):
    operator = "*"
    sqlite_function = "DECIMAL_MUL"


class ExactSub(_Binary):
    operator = "-"
    sqlite_function = "DECIMAL_SUB"


class ExactAdd(_Binary):
    operator = "+"
    sqlite_function = "DECIMAL_ADD"
