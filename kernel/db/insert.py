"""One multi-row INSERT of model instances, without the ORM's query compiler.

The order path writes a handful of rows per request (events, audit rows). Django's
`bulk_create` builds and compiles a query each time, which costs more than the database spends
on the insert. `rows_insert` writes the same column values, prepared by each field exactly as
`Model.save` prepares them (`pre_save`, then `get_db_prep_save`), in one statement with
`RETURNING` the primary keys; it sends no signals, as `bulk_create` does not.
"""

from functools import cache
from typing import TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


@cache
def _statement(
    model: type[models.Model], rows: int, unique: tuple[str, ...] | None
) -> tuple[str, tuple[models.Field, ...]]:
    meta = model._meta
    fields = tuple(field for field in meta.concrete_fields if not field.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = ", ".join([placeholders] * rows)
    conflict = ""
    if unique is not None:
        columns_of = [meta.get_field(name) for name in unique]
        assert all(isinstance(f, models.Field) for f in columns_of), "unique names model fields"
        target = ", ".join(quote(str(f.column)) for f in columns_of)  # type: ignore[union-attr]
        conflict = f"ON CONFLICT ({target}) DO NOTHING "
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values} {conflict}"  # noqa: S608
        f"RETURNING {quote(str(meta.pk.column))}"
    )
    return sql, fields


def row_insert_unless_taken(obj: M, *, unique: tuple[str, ...]) -> bool:
    """INSERT one instance unless a row already holds its values of the unique constraint on
    `unique` (field names); return whether it was written (its primary key is set then).

    For a uniqueness the caller reports as a domain error: no savepoint is needed to survive
    the violation, and any other constraint still raises IntegrityError.
    """
    return bool(_insert([obj], unique=unique))


def rows_insert(objects: list[M]) -> list[M]:
    """INSERT `objects` (all of one model, primary keys unset) in one statement, in order; set
    their primary keys and return them."""
    _insert(objects, unique=None)
    return objects


def _insert(objects: list[M], *, unique: tuple[str, ...] | None) -> list[M]:
    if not objects:
        return objects
    model = type(objects[0])
    sql, fields = _statement(model, len(objects), unique)
    params: list = []
    for obj in objects:
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(obj, True), connection=connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    if len(keys) < len(objects):  # held back by `unique` (row_insert_unless_taken: one row)
        return []
    # Both databases number the rows of one VALUES list in the order given; sorting the keys
    # makes the pairing independent of the order RETURNING lists them in.
    for obj, key in zip(objects, sorted(keys), strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects
