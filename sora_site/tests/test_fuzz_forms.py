"""Hypothesis throws arbitrary input at the create, remix and profile forms.

Whatever arrives — huge or unicode text, NULs, wrong types, missing fields — the answer
is never a 500 and no invalid row is ever saved.
"""

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from videos.models import Video
from videos.sora import profiles

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk = st.one_of(
    st.text(max_size=50),
    st.text(min_size=3990, max_size=4100),
    st.integers().map(str),
    st.sampled_from(
        ["", " ", "\x00", "sora-2", "1280x720", "4", "-1", "1e9", "☃" * 10]
    ),
)
form = st.dictionaries(
    st.sampled_from(["prompt", "model", "size", "seconds", "form_token", "name"]),
    junk,
)


@pytest.fixture(autouse=True)
def generous_quota(settings):
    settings.DAILY_SECONDS_QUOTA = 10**6


def assert_every_video_is_valid() -> None:
    for video in Video.objects.all():
        assert 1 <= len(video.prompt) <= 4000
        assert video.prompt == video.prompt.strip()
        assert "\x00" not in video.prompt
        assert video.model in profiles.models()
        assert video.size in profiles.profile_for(video.model).sizes
        assert video.seconds in profiles.profile_for(video.model).seconds


@FUZZ
@given(data=form)
def test_create_form(user_client, emulator, data):
    cache.clear()  # each example starts under the rate limits
    response = user_client.post("/videos/new/", data)
    assert response.status_code in (200, 302)
    assert_every_video_is_valid()


@FUZZ
@given(data=form)
def test_remix_form(user_client, user, completed_video, emulator, data):
    cache.clear()  # each example starts under the rate limits
    source = Video.objects.filter(status=Video.Status.COMPLETED).first()
    source = source or completed_video(user)
    response = user_client.post(f"/videos/{source.pk}/remix/", data)
    assert response.status_code in (200, 302)
    assert_every_video_is_valid()


@FUZZ
@given(data=form)
def test_profile_form(user_client, user, data):
    cache.clear()  # each example starts under the rate limits
    response = user_client.post("/accounts/profile/", data)
    assert response.status_code in (200, 302)
    for saved in User.objects.all():
        assert len(saved.name) <= 150 and saved.name == saved.name.strip()
        assert "\x00" not in saved.name
