"""Fixtures shared by every app's tests: users, logged-in clients, a clean cache.

Loaded as a pytest plugin (`-p accounts.tests.fixtures` in pytest.ini) so that the
videos app's tests get them too.
"""

import itertools

import pytest
from django.core.cache import cache
from django.test import Client

PASSWORD = "correct-horse-battery-staple-42"
_emails = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.3 s per login; tests check behaviour, not key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db):
    """Create a user with a unique email and the shared test password."""
    from accounts.models import User

    def make(**fields) -> User:
        fields.setdefault("email", f"user{next(_emails)}@example.com")
        return User.objects.create_user(password=PASSWORD, **fields)

    return make


@pytest.fixture
def user(make_user):
    return make_user(name="Ada")


@pytest.fixture
def other_user(make_user):
    return make_user(name="Mallory")


@pytest.fixture
def staff_user(make_user):
    return make_user(name="Admin", is_staff=True, is_superuser=True)


@pytest.fixture
def client_for():
    """A test client logged in as the given user."""

    def make(user, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def user_client(client_for, user) -> Client:
    return client_for(user)


@pytest.fixture
def staff_client(client_for, staff_user) -> Client:
    return client_for(staff_user)
