"""ORM queries compiled once per process and run again with new values.

Building and compiling a queryset costs far more than the database spends on the small reads of
the order path (the account's open orders, its positions, its risk limits). `Prepared` asks the
ORM for the SQL once, with marker values where the query varies, and from then on substitutes
the call's values into that SQL: the statement, its constants and the conversion of its results
(`from_db_value`, exact decimals on SQLite) are the ORM's own.

    facts = Prepared(
        lambda p: Order.objects.filter(account_id=p.account_id).values("account_id").annotate(...),
        account_id=models.IntegerField(),
    )
    facts.rows(account_id=7)  # -> [(7, ...)] or []
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import connections, models
from django.db.models import QuerySet, Value
from django.db.transaction import TransactionManagementError


class Markers:
    """`p.<name>`: a Value expression holding the marker of parameter <name>."""

    def __init__(self, markers: dict[str, Value]):
        self._markers = markers

    def __getattr__(self, name: str) -> Any:  # a Value, standing where the call's value goes
        try:
            return self._markers[name]
        except KeyError:
            raise AttributeError(f"no parameter {name!r}") from None


def _marker(field: models.Field, n: int) -> Any:
    """A value of the field's type that no real call uses (so each one is found in the SQL's
    parameters), distinct per parameter."""
    if isinstance(field, models.DateTimeField):
        return datetime(1901, 2, 3, 4, 5, 6, 1000 + n, tzinfo=UTC)
    if isinstance(field, models.IntegerField | models.AutoField):
        return -(7_340_000_000 + n)
    if isinstance(field, models.CharField | models.TextField):
        return f"\x1fprepared-marker-{n}\x1f"
    raise TypeError(f"Prepared supports integer, text and datetime parameters, not {field!r}")


class _Compiled:
    def __init__(self, sql: str, params: list, slots: list[tuple[int, str]], compiler, converters):
        self.sql = sql
        self.params = params
        self.slots = slots
        self.compiler = compiler
        self.converters = converters
        self.model = compiler.query.model
        # For `objects`: the attribute each selected column loads (a model queryset, no joins).
        self.attnames = [
            getattr(getattr(column[0], "target", None), "attname", None)
            for column in compiler.select[: compiler.col_count]
        ]


class Prepared:
    """A queryset shape compiled once per database alias; `rows(**values)` runs it."""

    def __init__(self, build: Callable[[Markers], QuerySet], **fields: models.Field):
        self._build = build
        self._fields = fields
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, alias: str) -> _Compiled:
        connection = connections[alias]
        markers = {
            name: Value(_marker(field, n), output_field=field)
            for n, (name, field) in enumerate(self._fields.items())
        }
        queryset = self._build(Markers(markers)).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        adapted = {
            name: field.get_db_prep_value(markers[name].value, connection=connection)
            for name, field in self._fields.items()
        }
        slots = [
            (index, name)
            for index, param in enumerate(params)
            for name, marker in adapted.items()
            if type(param) is type(marker) and param == marker
        ]
        missing = set(self._fields) - {name for _, name in slots}
        if missing:
            raise ValueError(f"parameters not found in the compiled query: {sorted(missing)}")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        return _Compiled(sql, list(params), slots, compiler, converters)

    def rows(self, *, using: str = "default", **values: Any) -> list[list[Any]]:
        """Run the query with these parameter values; return its rows, converted as the ORM's
        `values_list` would convert them."""
        return self._run(self._compiled_for(using), using, values)

    def objects(self, *, using: str = "default", **values: Any) -> list[Any]:
        """Run a model queryset's query (the model's own columns, no `select_related`) with these
        values; return model instances, loaded as the ORM loads them (`Model.from_db`)."""
        compiled = self._compiled_for(using)
        joined = (compiled.compiler.klass_info or {}).get("related_klass_infos")
        if joined or None in compiled.attnames:
            raise TypeError("objects() needs a queryset of model instances without joins")
        model = compiled.model
        return [
            model.from_db(using, compiled.attnames, row)
            for row in self._run(compiled, using, values)
        ]

    def _compiled_for(self, using: str) -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        return compiled

    def _run(self, compiled: _Compiled, using: str, values: dict[str, Any]) -> list[list[Any]]:
        connection = connections[using]
        if compiled.compiler.query.select_for_update and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        for index, name in compiled.slots:
            params[index] = self._fields[name].get_db_prep_value(
                values[name], connection=connection
            )
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            return [
                list(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)
            ]
        return [list(row) for row in rows]
