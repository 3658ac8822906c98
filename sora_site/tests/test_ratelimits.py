"""Rate limits: per user on creates and on browsing, per IP on sign-up and login."""

import re
import uuid

import pytest
from django.test import Client

from accounts.tests.fixtures import PASSWORD
from sora_site.ratelimits import client_ip

pytestmark = pytest.mark.django_db


def valid_create(**overrides) -> dict:
    return {
        "prompt": "A kite over the dunes",
        "model": "sora-2",
        "size": "1280x720",
        "seconds": "4",
        "form_token": str(uuid.uuid4()),
        **overrides,
    }


def test_the_eleventh_create_in_a_minute_is_429_with_the_form_kept(
    user_client, emulator, fresh_create_window
):
    fresh_create_window()
    for _ in range(10):
        assert user_client.post("/videos/new/", valid_create()).status_code == 302
    response = user_client.post(
        "/videos/new/",
        valid_create(
            prompt="A lighthouse in a storm, seen from a boat", size="720x1280"
        ),
    )
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    form = response.context["form"]
    assert form.data["prompt"] == "A lighthouse in a storm, seen from a boat"
    assert form.data["size"] == "720x1280"
    assert "A lighthouse in a storm, seen from a boat</textarea>" in response.text
    assert "Please send this again in" in response.text
    assert "nothing was charged" in response.text
    assert emulator.stats()["creates"] == 10
    assert user_client.get("/videos/new/").status_code == 200  # GETs are not creates


def test_a_form_sent_back_with_errors_is_not_a_create(user_client, emulator):
    for _ in range(15):
        assert user_client.post("/videos/new/", {"prompt": ""}).status_code == 200
    assert user_client.post("/videos/new/", valid_create()).status_code == 302


def test_remix_shares_the_create_limit(
    user_client, user, completed_video, emulator, fresh_create_window
):
    source = completed_video(user)
    fresh_create_window()
    for _ in range(10):
        assert user_client.post("/videos/new/", valid_create()).status_code == 302
    response = user_client.post(f"/videos/{source.pk}/remix/", {"prompt": "again"})
    assert response.status_code == 429


def test_limits_are_per_user(user_client, client_for, other_user, emulator):
    for _ in range(11):
        user_client.post("/videos/new/", valid_create())
    other = client_for(other_user)
    assert other.post("/videos/new/", valid_create()).status_code == 302


def test_the_rates_are_settings(user_client, emulator, settings, fresh_create_window):
    settings.RATE_LIMIT_CREATE = "2/m"
    fresh_create_window()
    for _ in range(2):
        user_client.post("/videos/new/", valid_create())
    assert user_client.post("/videos/new/", valid_create()).status_code == 429


def test_site_limit_counts_pages_but_not_assets_health_or_polls(
    user_client, user, make_video, settings
):
    settings.RATE_LIMIT_SITE = "100/15m"
    video = make_video(user)
    for _ in range(50):
        assert user_client.get(f"/videos/{video.pk}/status/").status_code == 200
        assert user_client.get("/health").status_code == 200
    for _ in range(100):
        assert user_client.get("/accounts/profile/").status_code == 200
    response = user_client.get("/videos/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert "opened a great many pages" in response.text
    # Locked out of pages, a person can still leave.
    assert 'action="/accounts/logout/"' in response.text
    assert user_client.post("/accounts/logout/").status_code == 302


def test_login_is_limited_per_ip(client, make_user):
    """30 attempts from one address in 15 minutes, right or wrong, across accounts
    (an office behind one address logs in freely; a sweep across accounts does not)."""
    people = [make_user() for _ in range(4)]
    for n in range(30):
        person = people[n % len(people)]
        password = PASSWORD if n % 10 == 0 else "wrong"
        response = client.post(
            "/accounts/login/", {"login": person.email, "password": password}
        )
        assert response.status_code in (200, 302), n
        client.logout()
    response = client.post(
        "/accounts/login/", {"login": people[0].email, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert response["Retry-After"]
    assert "Too many requests" in response.text


def test_failed_logins_for_one_account_are_limited_too(client, user, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login": "50/15m/ip",
    }
    for _ in range(5):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": "wrong"}
    )
    assert "Too many failed login attempts" in response.text


def test_signup_is_limited_per_ip(client):
    for n in range(5):
        client.post("/accounts/signup/", {"email": f"bad{n}"})
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 429


def test_a_forged_forwarded_for_does_not_evade_the_ip_limit(client, make_user):
    people = [make_user() for _ in range(8)]
    for n in range(30):
        client.post(
            "/accounts/login/",
            {"login": people[n % 8].email, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    response = client.post(
        "/accounts/login/",
        {"login": people[0].email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert response.status_code == 429


def test_client_ip_trusts_only_the_configured_proxy_hops(rf, settings):
    request = rf.get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4", REMOTE_ADDR="10.0.0.1"
    )
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_ip(request) == "1.2.3.4"
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_HOPS = 3  # fewer entries than hops: not trustworthy
    assert client_ip(request) == "10.0.0.1"


def test_csrf_still_applies_to_rate_limited_views(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/videos/new/", {"prompt": "x", "form_token": str(uuid.uuid4())}
    )
    assert response.status_code == 403
    assert not re.search("Too many requests", response.text)


def test_the_429_page_says_when_to_come_back_and_links_back(user_client, settings):
    settings.RATE_LIMIT_SITE = "2/15m"
    for _ in range(2):
        user_client.get("/videos/")
    response = user_client.get(
        "/accounts/profile/", HTTP_REFERER="http://testserver/videos/?q=kite"
    )
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 900
    assert re.search(
        r"You can carry on at <strong><time datetime=\"[^\"]+\">\d\d:\d\d",
        response.text,
    )
    in_words = f"{wait} second" if wait < 60 else f"{(wait + 59) // 60} minute"
    assert f"in about <strong>{in_words}" in response.text
    assert (
        '<a href="http://testserver/videos/?q=kite">Back to the page you were on</a>'
        in response.text
    )


def test_the_429_page_never_links_back_to_another_site(user_client, settings):
    settings.RATE_LIMIT_SITE = "1/15m"
    user_client.get("/videos/")
    response = user_client.get("/videos/", HTTP_REFERER="https://evil.example/phish")
    assert response.status_code == 429
    assert "evil.example" not in response.text
    assert "Back to the page you were on" not in response.text


def test_head_requests_and_the_admin_script_catalogue_are_not_counted(
    user_client, settings
):
    settings.RATE_LIMIT_SITE = "3/15m"
    for _ in range(10):
        assert user_client.head("/videos/").status_code == 200
    for _ in range(3):
        assert user_client.get("/videos/").status_code == 200
    assert user_client.get("/videos/").status_code == 429


@pytest.mark.parametrize("forwarded", ["", " ", ",,", "not-an-ip", "10.0.0.1"])
def test_allauth_counts_per_our_client_ip_whatever_the_forwarded_header(
    client, user, settings, forwarded
):
    """allauth's own lookup raised (a 500) on a blank or short X-Forwarded-For."""
    settings.TRUSTED_PROXY_HOPS = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    response = client.post(
        "/accounts/login/",
        {"login": user.email, "password": "wrong"},
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 200
    assert "not correct" in response.text
