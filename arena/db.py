"""Database helpers Django does not have."""

from collections.abc import Iterable, Sequence

from django.db import connections, router
from django.db.models import Model

ROWS_PER_STATEMENT = 500  # well under SQLite's 32,766 and PostgreSQL's 65,535 parameters


def rows_update(objs: Iterable[Model], fields: Sequence[str]) -> None:
    """Write `fields` of many rows of one model in one UPDATE: FROM unnest(one array per column) on
    PostgreSQL, FROM (VALUES ...) per 500 rows on SQLite.

    Django's bulk_update builds a CASE WHEN per row and field and resolves each as an expression: for
    the 48 standing rows of a 16-team battle royale it was 70 % of a results PUT's CPU (py-spy,
    bench/RESULTS.md). The same statement count, a fraction of the Python. PostgreSQL and SQLite
    (3.33+) both take UPDATE ... FROM, and both name a VALUES list's columns column1, column2, ...;
    each is cast to its column's type so a column of NULLs is not read as text."""
    objs = list(objs)
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), meta.pk
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(
        f"{quote(field.column)} = CAST(v.column{index} AS {field.cast_db_type(connection)})"
        for index, field in enumerate(columns, start=2)
    )
    if connection.vendor == "postgresql":
        # One array per column: the statement's text is the same whatever the row count, so psycopg parses
        # it once (it re-parses statements of more than 50 parameters on every call: a third of this
        # function's CPU for 48 rows) and PostgreSQL receives 1 + len(fields) parameters.
        arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in [pk, *columns])
        names = ", ".join(f"column{index}" for index in range(1, len(columns) + 2))
        params = [[pk.get_db_prep_value(obj.pk, connection) for obj in objs]]
        params += [
            [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs] for field in columns
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) "  # noqa: S608 - names are quoted model metadata, values are parameters
                f"WHERE {table}.{quote(pk.column)} = v.column1",
                params,
            )
        return
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), ROWS_PER_STATEMENT):
            chunk = objs[start : start + ROWS_PER_STATEMENT]
            params = []
            for obj in chunk:
                params.append(pk.get_db_prep_value(obj.pk, connection))
                params.extend(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(chunk))}) AS v "  # noqa: S608 - names are quoted model metadata, values are parameters
                f"WHERE {table}.{quote(pk.column)} = v.column1",
                params,
            )
