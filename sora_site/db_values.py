"""Values read with plain SQL, turned into Python values as the ORM turns them.

The two queries on every logged-in page are sent as SQL compiled or written ahead
(accounts/backends.py for the session's user, videos/list_rows.py for the list page):
building them through the ORM cost more CPU than the database spent answering
(bench/README.md, "Pages"). Their values still pass through the ORM's own steps, the
backend's converters and then the field's, so SQLite's text timestamps and UUIDs come
back as the objects a queryset would give.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model
from django.db.models.expressions import Col


def columns(model: type[Model], names: Sequence[str]) -> tuple[Col, ...]:
    """The model's columns of these fields, as the ORM selects them."""
    table = model._meta.db_table
    return tuple(_concrete(model, name).get_col(table) for name in names)


def column_name(model: type[Model], name: str) -> str:
    """The database column of the model's field `name`."""
    return str(_concrete(model, name).column)


def to_python(selected: Sequence[Col], rows: Iterable[Sequence[Any]]) -> list[list]:
    """The rows' values, converted with the current connection as the ORM would."""
    steps = [
        [
            *connection.ops.get_db_converters(column),
            *column.get_db_converters(connection),
        ]
        for column in selected
    ]
    if not any(steps):  # PostgreSQL's driver gives Python values already
        return [list(row) for row in rows]
    converted = []
    for row in rows:
        values = []
        for column, convert_all, value in zip(selected, steps, row, strict=True):
            for convert in convert_all:
                value = convert(value, column, connection)
            values.append(value)
        converted.append(values)
    return converted


def _concrete(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} is not a column of its own")
    return field
