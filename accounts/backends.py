"""Authentication: allauth's backend, with each session's user read cheaply.

Every logged-in request reads its user through the backend's `get_user`, and Django's
ORM spent about 0.3 ms of CPU building and compiling `User.objects.get(pk=…)` for a
lookup the database answers in a fraction of that: a tenth of the list page's time
(bench/README.md, "Pages"). Here the ORM compiles that query once per process and
database vendor, and each request only sends it; the values pass through the ORM's
converters (sora_site/db_values.py) and `Model.from_db`, as a queryset's would.

Everything else is allauth's and Django's: logging in by email and password (one
password hash per attempt, accounts/tests/test_admin_login.py), refusing inactive
users (`user_can_authenticate`), and the session hash check in `django.contrib.auth`.

A session names the backend that logged it in, and Django honours only configured ones:
sessions from before this backend (2026-12-07, when allauth's was configured directly)
are logged out once. Listing both would check a wrong password twice, which the login
timing tests forbid.
"""

import functools
from dataclasses import dataclass
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.db import connection
from django.db.models import Field
from django.db.models.expressions import Col

from accounts.models import User
from sora_site import db_values

_PLACEHOLDER_PK = 0


@dataclass(frozen=True)
class UserLookup:
    """`User.objects.get(pk=…)`, compiled: its SQL and what it selects."""

    sql: str
    pk_field: Field
    attnames: tuple[str, ...]
    selected: tuple[Col, ...]


class AccountBackend(AuthenticationBackend):
    def get_user(self, user_id: Any) -> User | None:
        """The active user with this id, or None (as ModelBackend answers)."""
        user = user_by_pk(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def user_by_pk(user_id: Any) -> User | None:
    """The user with this primary key, or None: the row `User.objects.get` reads."""
    lookup = _compiled_lookup(connection.vendor)
    pk = lookup.pk_field.to_python(user_id)
    pk = lookup.pk_field.get_db_prep_value(pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(lookup.sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    [values] = db_values.to_python(lookup.selected, [row])
    return User.from_db(connection.alias, lookup.attnames, values)


@functools.cache
def _compiled_lookup(vendor: str) -> UserLookup:
    """Compiled by the ORM itself (the same SQL as `get()` sends, without its LIMIT),
    once per database vendor: the text never changes while the process runs."""
    queryset = User._default_manager.filter(pk=_PLACEHOLDER_PK).order_by()
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    if list(params) != [_PLACEHOLDER_PK]:
        raise ValueError(f"expected the primary key as the only parameter: {sql!r}")
    pk_field = User._meta.pk
    if pk_field is None:
        raise TypeError("User has no primary key")
    selected = tuple(column for column, _, _ in compiler.select)
    if not all(isinstance(column, Col) for column in selected):
        raise TypeError(f"expected plain columns only: {selected!r}")
    return UserLookup(
        sql=sql,
        pk_field=pk_field,
        attnames=tuple(column.target.attname for column in selected),
        selected=selected,
    )
