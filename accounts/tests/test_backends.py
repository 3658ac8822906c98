"""The authentication backend's precompiled read of a session's user."""

import datetime

import pytest
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from accounts.backends import AccountBackend, user_by_pk
from accounts.models import User
from accounts.tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def field_values(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.fields}


def test_the_user_read_is_the_one_the_orm_reads(make_user):
    """Every field, with the database's own types: on SQLite, times and booleans come
    back as text and integers and pass through the ORM's converters."""
    person = make_user(name="Ada Lovelace", daily_seconds_quota=77, is_staff=True)
    User.objects.filter(pk=person.pk).update(
        last_login=timezone.now() - datetime.timedelta(days=3)
    )
    read = user_by_pk(person.pk)
    expected = User.objects.get(pk=person.pk)
    assert isinstance(read, User)
    assert field_values(read) == field_values(expected)
    assert isinstance(read.last_login, datetime.datetime)
    assert read.last_login.tzinfo is not None
    assert read.is_staff is True
    assert read._state.adding is False  # a saved row: save() updates, not inserts


def test_the_read_user_saves_as_the_row_it_came_from(make_user):
    person = make_user(name="Before")
    read = user_by_pk(str(person.pk))  # as the session stores it
    assert read is not None
    read.name = "After"
    read.save(update_fields=["name"])
    assert User.objects.get(pk=person.pk).name == "After"
    assert User.objects.count() == 1


def test_one_query_per_read(make_user, django_assert_num_queries):
    person = make_user()
    user_by_pk(person.pk)  # compiled on the first call
    with django_assert_num_queries(1):
        assert user_by_pk(person.pk) == person


def test_backend_answers_as_model_backend_does(make_user):
    active = make_user()
    banned = make_user(is_active=False)
    ours, django = AccountBackend(), ModelBackend()
    for user_id in (active.pk, banned.pk, 987654321):
        assert ours.get_user(user_id) == django.get_user(user_id)
    assert ours.get_user(active.pk) == active
    assert ours.get_user(banned.pk) is None
    assert ours.get_user(987654321) is None


def test_a_logged_in_page_reads_its_user_through_the_backend(client, make_user):
    person = make_user(name="Grace")
    response = client.post(
        "/accounts/login/", {"login": person.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "accounts.backends.AccountBackend"
    page = client.get("/videos/")
    assert page.status_code == 200
    assert page.wsgi_request.user == person
    assert "Grace" in page.text


def test_a_changed_password_ends_other_sessions(client, make_user):
    """The session hash check is still Django's: the read user carries its password."""
    person = make_user()
    client.force_login(person)
    assert client.get("/videos/").status_code == 200
    person.set_password("a whole new password 1234")
    person.save()
    response = client.get("/videos/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
