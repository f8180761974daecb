"""Migration operations of the kernel."""

from decimal import Decimal, InvalidOperation

from django.db.migrations.operations.base import Operation

from kernel.decimals import decimal_text, quantize


class ExactDecimalsOnSQLite(Operation):
    """On SQLite, rebuild the app's tables whose Decimal columns are still declared `decimal`.

    Databases made before the kernel's SQLite backend keep those columns as floats. The tables
    are rebuilt with exact text columns and every value is rewritten in the canonical form,
    rounded to the column's places. Values that were floats keep the 15 significant digits
    SQLite gave them; check constraints are suspended while they are rewritten, so an app with
    an invariant across columns follows this with a step that restores it exactly. On other
    databases, and on tables that are already exact, it does nothing.
    """

    reduces_to_sql = False
    reversible = True

    def __init__(self, app_label: str):
        self.app_label = app_label

    def deconstruct(self):
        return self.__class__.__qualname__, [self.app_label], {}

    def state_forwards(self, app_label, state):
        """Changes nothing in the model state: the fields stay what they were."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor != "sqlite":
            return
        for model in to_state.apps.get_app_config(self.app_label).get_models():
            fields = [
                field
                for field in model._meta.local_fields
                if field.get_internal_type() == "DecimalField"
            ]
            if fields and not _is_exact(connection, model._meta.db_table, fields):
                _rebuild(schema_editor, model, fields)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        """Nothing to undo: exact text columns read back as the same Decimals."""

    def describe(self):
        return f"Store the Decimal columns of {self.app_label} exactly on SQLite"


def _is_exact(connection, table: str, fields) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
        declared = {row[1]: (row[2] or "").lower() for row in cursor.fetchall()}
    return all(declared.get(field.column, "text").startswith("text") for field in fields)


def _rebuild(schema_editor, model, fields) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            schema_editor._remake_table(model)
            columns = ", ".join(quote(field.column) for field in fields)
            cursor.execute(f"SELECT {pk}, {columns} FROM {table}")  # noqa: S608
            for pk_value, *values in cursor.fetchall():
                texts = [
                    _canonical(value, field.decimal_places)
                    for value, field in zip(values, fields, strict=True)
                ]
                assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
                cursor.execute(
                    f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                    [*texts, pk_value],
                )
        finally:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def _canonical(value, places: int) -> str | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return decimal_text(quantize(number, places=places))
