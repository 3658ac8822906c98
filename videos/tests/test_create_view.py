"""`/videos/new/`: the create form and the create flow behind it."""

import uuid

import pytest

from videos.models import UsageCharge, Video
from videos.tests.helpers import image_upload

pytestmark = pytest.mark.django_db

URL = "/videos/new/"


def form_data(**overrides) -> dict:
    data = {
        "prompt": "A red kite over green hills, slow pan",
        "model": "sora-2",
        "size": "1280x720",
        "seconds": "4",
        "form_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_form_shows_choices_cost_and_quota(user_client, settings):
    settings.DAILY_SECONDS_QUOTA = 40
    response = user_client.get(URL)
    assert response.status_code == 200
    text = response.text
    for model in ("sora-2", "sora-2-pro"):
        assert f'value="{model}"' in text
    assert 'value="1792x1024"' in text
    assert 'id="cost-seconds"' in text
    assert 'id="seconds-left">40</span> of 40 seconds' in text
    assert 'name="form_token"' in text


def test_create_submits_and_redirects_to_the_video(user_client, user, emulator):
    response = user_client.post(URL, form_data())
    video = Video.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == f"/videos/{video.pk}/"
    assert video.status == Video.Status.QUEUED
    assert video.openai_video_id.startswith("video_")
    assert video.submitted_at is not None
    assert emulator.stats()["creates"] == 1
    assert UsageCharge.objects.get(video=video).seconds == 4


def test_create_with_a_reference_image(user_client, user, emulator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = form_data(input_reference=image_upload(1280, 720, name="../../etc/evil.png"))
    response = user_client.post(URL, data)
    assert response.status_code == 302
    video = Video.objects.get(user=user)
    assert video.status == Video.Status.QUEUED
    assert video.input_reference.name.startswith("references/")
    assert "evil" not in video.input_reference.name
    assert (tmp_path / video.input_reference.name).is_file()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"prompt": ""}, "prompt", "the prompt cannot be empty"),
        ({"prompt": "   \n\t "}, "prompt", "the prompt cannot be empty"),
        ({"prompt": "x" * 4001}, "prompt", "Keep the prompt to 4000 characters"),
        ({"model": "sora-9"}, "model", "Select a valid choice"),
        ({"size": "1792x1024"}, "size", "sora-2 does not make 1792x1024 videos"),
        ({"size": "100x100"}, "size", "Select a valid choice"),
        ({"seconds": "5"}, "seconds", "Select a valid choice"),
        ({"seconds": "four"}, "seconds", "Select a valid choice"),
    ],
)
def test_invalid_fields_are_form_errors(user_client, user, overrides, field, message):
    response = user_client.post(URL, form_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in response.text
    assert not Video.objects.exists()


def test_prompt_is_trimmed(user_client, user, emulator):
    user_client.post(URL, form_data(prompt="  a calm lake  \n"))
    assert Video.objects.get(user=user).prompt == "a calm lake"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (image_upload(640, 480), "must be exactly 1280×720"),
        (image_upload(1280, 720, fmt="GIF", name="a.gif"), "must be JPEG, PNG or WebP"),
        (image_upload(1280, 720, fmt="BMP", name="a.png"), "must be JPEG, PNG or WebP"),
    ],
)
def test_bad_reference_images(user_client, user, upload, message):
    response = user_client.post(URL, form_data(input_reference=upload))
    assert response.status_code == 200
    assert message in response.text
    assert not Video.objects.exists()


def test_a_text_file_posing_as_an_image(user_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.png", b"not an image at all", "image/png")
    response = user_client.post(URL, form_data(input_reference=fake))
    assert "not an image we can read" in response.text
    assert not Video.objects.exists()


def test_reference_image_over_10_mb(user_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    huge = SimpleUploadedFile(
        "big.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024), "image/png"
    )
    response = user_client.post(URL, form_data(input_reference=huge))
    assert "the limit is 10 MB" in response.text
    assert not Video.objects.exists()


def test_quota_exceeded(user_client, user, emulator):
    user.daily_seconds_quota = 10
    user.save()
    assert user_client.post(URL, form_data(seconds="8")).status_code == 302
    response = user_client.post(URL, form_data(seconds="4"))
    assert response.status_code == 200
    assert "only 2 of your 10 seconds for today are left" in response.text
    assert Video.objects.count() == 1
    assert emulator.stats()["creates"] == 1


def test_moderation_flagged_prompt_is_refused_before_anything(
    user_client, user, emulator, settings
):
    settings.OPENAI_MODERATION_MODEL = "omni-moderation-latest"
    response = user_client.post(URL, form_data(prompt="a brawl [flag]"))
    assert response.status_code == 200
    assert "moderation flagged this prompt" in response.text
    assert not Video.objects.exists()
    assert emulator.stats()["creates"] == 0


def test_upstream_refusal_fails_the_video_with_openais_message(
    user_client, user, emulator
):
    response = user_client.post(URL, form_data(prompt="something [refuse]"))
    video = Video.objects.get(user=user)
    assert response["Location"] == f"/videos/{video.pk}/"
    assert video.status == Video.Status.FAILED
    assert video.error_code == "moderation_blocked"
    page = user_client.get(response["Location"])
    assert "blocked by our moderation system" in page.text
    assert not UsageCharge.objects.filter(user=user).exists()  # given back


def test_capability_refused_upstream_is_a_form_error_and_free(
    user_client, user, emulator, settings
):
    """A gateway that knows less than our table: its refusal lands on the field."""
    settings.SORA_MODELS = {
        **settings.SORA_MODELS,
        "sora-2": {"sizes": ["1280x720", "1792x1024"], "seconds": [4, 8, 12]},
    }
    response = user_client.post(URL, form_data(size="1792x1024"))
    assert response.status_code == 200
    assert "size" in response.context["form"].errors
    assert not Video.objects.exists()
    assert not UsageCharge.objects.exists()


def test_transient_upstream_keeps_the_video_pending(user_client, user, emulator):
    emulator.inject_fault("/v1/videos", "500", method="POST")
    response = user_client.post(URL, form_data())
    video = Video.objects.get(user=user)
    assert response.status_code == 302
    assert video.status == Video.Status.PENDING
    assert video.submit_attempted_at is not None
    assert video.transient_failures == 1
    page = user_client.get(response["Location"])
    assert "Waiting for OpenAI, will retry" in page.text


def test_double_submit_creates_one_video(user_client, user, emulator):
    data = form_data()
    first = user_client.post(URL, data)
    second = user_client.post(URL, data)
    assert Video.objects.filter(user=user).count() == 1
    assert first["Location"] == second["Location"]
    assert emulator.stats()["creates"] == 1


def test_anonymous_is_sent_to_login(client):
    response = client.post(URL, form_data())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
