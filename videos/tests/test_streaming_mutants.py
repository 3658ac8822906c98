"""The content view's answers when the host's copy is gone, unreachable or cut short.

Found by `make mutants`: what the pages say (in full, inside the site's own layout for
the signed-in user) and that an image whose download breaks off is never served as one.
Against the emulator over HTTP.
"""

import pytest

from videos.models import Video

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def proxy_only(settings):
    settings.VIDEO_ARCHIVE = False
    settings.OPENAI_MAX_RETRIES = 0


def content_url(video: Video, variant: str = "video") -> str:
    return f"/videos/{video.pk}/content/?variant={variant}"


def test_an_expired_video_says_so_in_the_sites_layout(
    user_client, user, completed_video, emulator
):
    video = completed_video(user)
    emulator.expire(video.openai_video_id)
    response = user_client.get(content_url(video))
    assert response.status_code == 410
    assert "<h1>This video has expired</h1>" in response.text
    assert (
        "This video has expired at OpenAI, and no copy of it was kept here. OpenAI "
        "keeps generated videos only for a limited time."
    ) in response.text
    assert 'class="nav-user"' in response.text  # rendered for the signed-in user


def test_an_unreachable_host_says_try_again_in_the_sites_layout(
    user_client, user, completed_video, emulator
):
    video = completed_video(user)
    emulator.inject_fault("/v1/videos/*/content", "500", method="GET")
    response = user_client.get(content_url(video))
    assert response.status_code == 502
    assert "<h1>OpenAI is not answering</h1>" in response.text
    assert (
        "The video could not be fetched from OpenAI right now. Please try again in a "
        "minute."
    ) in response.text
    assert 'class="nav-user"' in response.text


def test_an_image_whose_download_breaks_off_is_not_served(
    user_client, user, completed_video, emulator
):
    video = completed_video(user)
    emulator.inject_fault("/v1/videos/*/content", "cut", method="GET")
    response = user_client.get(content_url(video, "thumbnail"))
    assert response.status_code == 404
    assert emulator.stats()["streams_completed"] == 0


def test_a_reference_that_is_not_an_image_is_never_served(
    user_client, user, make_video, settings
):
    stored = settings.MEDIA_ROOT / "references" / "notes.txt"
    stored.parent.mkdir(parents=True)
    stored.write_text("not a picture")
    video = make_video(user, input_reference="references/notes.txt")
    assert user_client.get(content_url(video, "reference")).status_code == 404


def test_a_one_byte_range_of_the_archived_copy(
    user_client, user, emulator, sample_bytes, settings
):
    from videos.tests.helpers import archived_at_emulator

    video = archived_at_emulator(
        user, emulator, prompt="A calm lake", model="sora-2", size="1280x720", seconds=4
    )
    response = user_client.get(content_url(video), HTTP_RANGE="bytes=5-5")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 5-5/{len(sample_bytes)}"
    assert b"".join(response.streaming_content) == sample_bytes[5:6]


def stored_reference(settings, name: str, content: bytes) -> str:
    stored = settings.MEDIA_ROOT / "references" / name
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(content)
    return f"references/{name}"


PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_a_reference_image_is_served_with_its_cache_policy(
    user_client, user, make_video, settings
):
    name = stored_reference(settings, "lake.png", PNG_1X1)
    video = make_video(user, input_reference=name)
    response = user_client.get(content_url(video, "reference"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content) == PNG_1X1


def test_a_reference_image_is_handed_to_nginx_where_it_serves_media(
    user_client, user, make_video, settings
):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/_protected_media/"
    name = stored_reference(settings, "lake.png", PNG_1X1)
    video = make_video(user, input_reference=name)
    response = user_client.get(content_url(video, "reference"))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_protected_media/{name}"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response.content == b""


def test_a_head_of_the_archived_copy_answers_without_opening_it(
    user_client, user, emulator, sample_bytes, settings
):
    from videos.tests.helpers import archived_at_emulator

    video = archived_at_emulator(
        user, emulator, prompt="A calm lake", model="sora-2", size="1280x720", seconds=4
    )
    whole = user_client.head(content_url(video))
    assert whole.status_code == 200
    assert whole["Content-Length"] == str(len(sample_bytes))
    assert not whole.streaming and whole.content == b""
    part = user_client.head(content_url(video), HTTP_RANGE="bytes=5-9")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 5-9/{len(sample_bytes)}"
    assert not part.streaming and part.content == b""
