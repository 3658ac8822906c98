"""The list page's one query, written out: a page of card versions and the total.

The same rows as `selectors.videos_for_list(user, status=…, query=…)` (a test checks
they agree), read without the ORM: Django spent about 1 ms of CPU building and
compiling that queryset for a query PostgreSQL answers in a fraction of it, on the
page people load most (bench/README.md, "Pages"). The SQL is assembled once per shape
(with or without a status, with or without a search) from the model's own table and
column names, and the prompt search is the backend's own `icontains` (its SQL and its
escaping of `%`, `_` and `\\`), so it matches what the ORM would send. Values come back
through the backend's converters, as the ORM's would (SQLite stores UUIDs and times as
text; sora_site/db_values.py).
"""

import functools
from typing import Any

from django.db import connection
from django.db.models.expressions import Col

from accounts.models import User
from sora_site import db_values
from videos.cards import CardVersion
from videos.models import Video

VERSION_FIELDS = ("id", "updated_at", "model", "status", "hidden")
"""The columns of a CardVersion, in the order of its fields."""


def page_rows(
    user: User, *, status: str, query: str, start: int, size: int
) -> tuple[list[CardVersion], int]:
    """The card versions of rows `start` to `start + size` of the user's list, newest
    first, and how many rows the list has in all (0 when this page is empty, whatever
    the total)."""
    sql = _select(bool(status), bool(query))
    params: list[Any] = [user.pk]
    if status:
        params.append(status)
    if query:
        params.append(f"%{connection.ops.prep_for_like_query(query)}%")
    params += [size, start]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw_rows = cursor.fetchall()
    versions = [
        CardVersion(*values)
        for values in db_values.to_python(
            _version_columns(), (row[:-1] for row in raw_rows)
        )
    ]
    return versions, raw_rows[0][-1] if raw_rows else 0


@functools.cache
def _select(by_status: bool, by_query: bool) -> str:
    """The SQL for one shape of the list (cached: connection.vendor never changes)."""
    quote = connection.ops.quote_name
    table = quote(Video._meta.db_table)

    def column(name: str) -> str:
        return f"{table}.{quote(db_values.column_name(Video, name))}"

    where = [f"{column('user')} = %s"]
    if by_status:
        where.append(f"{column('status')} = %s")
    if by_query:
        searched = connection.ops.lookup_cast("icontains", "TextField") % column(
            "prompt"
        )
        # Every backend's wrapper defines `operators`; django-stubs declare it on none.
        operators = connection.operators  # type: ignore[attr-defined]
        where.append(f"{searched} {operators['icontains'] % '%s'}")
    selected = ", ".join(column(name) for name in VERSION_FIELDS)
    return (
        f"SELECT {selected}, COUNT(*) OVER () FROM {table}"
        f" WHERE {' AND '.join(where)}"
        f" ORDER BY {column('created_at')} DESC, {column('id')} DESC"
        " LIMIT %s OFFSET %s"
    )


@functools.cache
def _version_columns() -> tuple[Col, ...]:
    return db_values.columns(Video, VERSION_FIELDS)
