"""`/admin/login/` is no password form: every login goes through allauth's, which
counts attempts, and takes as long whether the password is right or not."""

import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.test import Client

from accounts.tests.fixtures import PASSWORD, TOTP_SECRET, fresh_totp_code, give_totp

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-at-all"


def attempt(client: Client, email: str, password: str, **meta):
    return client.post(
        "/accounts/login/", {"login": email, "password": password}, **meta
    )


def test_the_admin_sends_logged_out_visitors_to_the_site_login(client):
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.get("/admin/login/?next=/admin/videos/video/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fvideos%2Fvideo%2F"
    response = client.get("/admin/login/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_a_next_off_the_site_is_dropped(client):
    response = client.get("/admin/login/?next=https://evil.example/admin/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_posting_a_password_to_the_admin_logs_nobody_in(client, staff_user):
    give_totp(staff_user)
    for fields in (
        {"username": staff_user.email, "password": PASSWORD},
        {"email": staff_user.email, "password": PASSWORD},
    ):
        response = client.post("/admin/login/?next=/admin/", fields)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
        assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_people_without_staff_are_told_the_admin_is_not_for_them(user_client, user):
    response = user_client.get("/admin/login/?next=/admin/")
    assert response.status_code == 403
    assert f"You are logged in as {user.email}" in response.text
    assert "no access to the admin" in response.text
    assert "<form" not in response.text.split('id="content-main"')[1]
    # And posting a staff password there does not switch accounts.
    response = user_client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_staff_who_passed_every_step_go_straight_back_in(staff_client):
    response = staff_client.get("/admin/login/?next=/admin/videos/video/")
    assert response["Location"] == "/admin/videos/video/"


def test_guessing_a_staff_password_is_throttled_everywhere(client, staff_user):
    give_totp(staff_user)
    answers = [attempt(client, staff_user.email, WRONG) for _ in range(12)]
    # The form says the password is wrong; from the sixth, that there were too many
    # failures for this account (allauth's limit per account, `login_failed`).
    assert all("not correct" in answer.text for answer in answers[:5])
    assert all("Too many failed login attempts" in a.text for a in answers[5:])

    right = attempt(client, staff_user.email, PASSWORD)
    assert "Too many failed login attempts" in right.text
    assert "_auth_user_id" not in client.session
    assert "account_login" not in str(client.session.items())

    # The admin's door is no way around it.
    response = client.post(
        "/admin/login/", {"username": staff_user.email, "password": PASSWORD}
    )
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session

    # Nor is another address: failures are counted per account too.
    elsewhere = Client(REMOTE_ADDR="198.51.100.23")
    response = attempt(elsewhere, staff_user.email, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.text
    assert "_auth_user_id" not in elsewhere.session


def test_the_right_password_still_leads_to_the_authenticator_step(client, staff_user):
    """(The limits above are not simply refusing everyone.)"""
    give_totp(staff_user)
    response = attempt(client, staff_user.email, PASSWORD)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post(
        "/accounts/2fa/authenticate/", {"code": fresh_totp_code(TOTP_SECRET)}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


# --- Timing -------------------------------------------------------------------------
# What would tell a right password from a wrong one, or a staff account from another, is
# a path that skips the password hash or computes it twice. The hash is counted exactly
# (a PBKDF2 hasher that counts, at a test's cost), then timed with Django's real hasher,
# where one check costs a few hundred milliseconds and the rest of a login about ten.


class CountingHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 at a cost of 1,000 iterations, counting the hashes it computes
    (`verify` and `make_password` both go through `encode`)."""

    iterations = 1000
    computed = 0

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        type(self).computed += 1
        return super().encode(password, salt, iterations)


@pytest.fixture
def counting_hasher(settings) -> type[CountingHasher]:
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    return CountingHasher


@pytest.fixture
def real_hasher(settings):
    """Undo the fast test hasher: a password check costs what it costs in production."""
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture
def login_cases(make_user) -> dict[str, tuple[str, str]]:
    staff = make_user(is_staff=True, is_superuser=True)
    give_totp(staff)
    person = make_user()
    return {
        "staff, right password": (staff.email, PASSWORD),
        "staff, wrong password": (staff.email, WRONG),
        "user, right password": (person.email, PASSWORD),
        "user, wrong password": (person.email, WRONG),
        "no such account": ("nobody-here@example.com", WRONG),
    }


def hashes_per_login(
    hasher: type[CountingHasher], cases: dict[str, tuple[str, str]]
) -> dict[str, int]:
    counts = {}
    for name, (email, password) in cases.items():
        cache.clear()
        hasher.computed = 0
        response = attempt(Client(), email, password)
        assert response.status_code in (200, 302), (name, response.status_code)
        counts[name] = hasher.computed
    return counts


def test_every_login_hashes_the_password_exactly_once(counting_hasher, login_cases):
    """Right or wrong, staff or not, an account or none: one hash each (allauth hashes
    the password it was given for an address that has no account)."""
    counts = hashes_per_login(counting_hasher, login_cases)
    assert counts == dict.fromkeys(login_cases, 1)


def test_the_count_sees_a_second_backend_hashing_again(
    counting_hasher, login_cases, settings
):
    """What the count guards against: with Django's ModelBackend in front of allauth's
    (as before), a wrong password is hashed twice."""
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ]
    counts = hashes_per_login(counting_hasher, login_cases)
    assert counts["user, wrong password"] == 2
    assert counts["user, right password"] == 1


ROUNDS = 5
SPREAD_BOUND = 0.35
"""A second hash adds about 90 % to a login; the fastest of five rounds of one hash
varies by about 15 % on a shared two-core machine (medians by up to 35 %)."""


def login_times(
    cases: dict[str, tuple[str, str]], clock=time.thread_time
) -> dict[str, float]:
    """The fastest of ROUNDS login POSTs per case, in seconds, rounds interleaved so
    that a slow moment of the machine falls on every case alike. Limits are reset before
    each attempt (outside the timing) so that every one is a real password check.

    The fastest, not the median: the machine's other work only ever adds time, so the
    fastest round is the closest to what the login itself costs. The clock is this
    thread's CPU time by default (the test client serves the request in this thread)."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, (email, password) in cases.items():
            cache.clear()
            client = Client()
            started = clock()
            response = attempt(client, email, password)
            times[name].append(clock() - started)
            assert response.status_code in (200, 302), (name, response.status_code)
    return {name: min(values) for name, values in times.items()}


def report(title: str, times: dict[str, float]) -> str:
    rows = ", ".join(f"{name} {ms * 1000:.0f} ms" for name, ms in times.items())
    return f"\n{title}: {rows} (spread {spread(times):.0%})"


def spread(times: dict[str, float]) -> float:
    """How far apart the slowest and fastest times are, relative to the fastest."""
    return (max(times.values()) - min(times.values())) / min(times.values())


def test_login_time_tells_nothing(real_hasher, login_cases, capsys):
    cpu = login_times(login_cases)
    wall = login_times(login_cases, clock=time.perf_counter)
    with capsys.disabled():
        print(report("login CPU, fastest of 5", cpu))
        print(report("login wall-clock, fastest of 5", wall))
    assert min(cpu.values()) > 0.02, "the real hasher is not in use"
    # Either clock can be thrown off alone on a shared machine (a neighbour's load shows
    # in wall-clock time, a throttled core in CPU time); one of them must be flat.
    assert min(spread(cpu), spread(wall)) < SPREAD_BOUND, (cpu, wall)


def test_the_timing_check_sees_a_second_password_hash(
    real_hasher, settings, make_user, capsys
):
    """What the timing test would see of a second hash, measured: with Django's
    ModelBackend in front of allauth's, a wrong password takes about twice as long."""
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ]
    person = make_user()
    cpu = login_times(
        {"right password": (person.email, PASSWORD), "wrong": (person.email, WRONG)}
    )
    with capsys.disabled():
        print(report("two backends, CPU, fastest of 5", cpu))
    assert spread(cpu) > SPREAD_BOUND * 1.5, cpu
