"""The product through LiteLLM's real proxy (1.108.7), with its default settings.

The emulator stands for the model host behind the gateway; the proxy is the real one
(`gateway` fixture, videos/tests/gateway_fixtures.py). The journey a user takes (sign
up → create → completes → plays with Range from our archive → remix → delete), then
the gateway's sharp edges: a refusal wrapped in its error, its missing DELETE, its MP4
where a thumbnail was asked for, and its own retry of a create whose answer was lost.
In CI this runs on PostgreSQL, where the gateway's 242-character ids once failed to save.
"""

import pytest
from django.test import Client

from accounts.tests.signup import sign_up_and_confirm
from videos.models import UsageCharge, Video
from videos.tests.helpers import poll_until

Status = Video.Status

pytestmark = pytest.mark.django_db(transaction=True)

FORM = {"model": "sora-2", "size": "1280x720", "seconds": "4"}


@pytest.fixture
def product(settings, gateway):
    """The product set up as an operator would for LiteLLM (the `litellm` preset)."""
    settings.SORA_HOST_PRESET = "litellm"
    return gateway


def sign_up(client: Client, email: str = "maker@example.com") -> None:
    sign_up_and_confirm(client, email, "a-long-passphrase-for-tests")


def create(client: Client, prompt: str, **overrides) -> Video:
    response = client.post("/videos/new/", {**FORM, "prompt": prompt, **overrides})
    assert response.status_code == 302, response.context["form"].errors
    return Video.objects.get(pk=response["Location"].split("/")[2])


def test_a_user_makes_plays_remixes_and_deletes_a_video_through_litellm(
    product, emulator, client
):
    sign_up(client)
    video = create(client, "A paper boat drifting down a rainy street")
    assert len(video.openai_video_id) >= 140  # stored whole
    poll_until(video, Status.COMPLETED, archived=True, timeout=30)

    played = client.get(
        f"/videos/{video.pk}/content/", headers={"range": "bytes=10-59"}
    )
    assert played.status_code == 206
    assert played["Content-Range"].startswith("bytes 10-59/")
    assert len(b"".join(played.streaming_content)) == 50

    # The gateway has no thumbnails: ours are made from the MP4, and shown.
    assert video.archived_thumbnail.name.endswith("-poster.webp")
    assert video.archived_spritesheet.name.endswith("-spritesheet.webp")
    thumbnail = client.get(f"/videos/{video.pk}/content/?variant=thumbnail")
    assert thumbnail["Content-Type"] == "image/webp"
    assert b"".join(thumbnail.streaming_content)[8:12] == b"WEBP"
    assert "poster=" in client.get(f"/videos/{video.pk}/").text

    response = client.post(f"/videos/{video.pk}/remix/", {"prompt": "The same at dawn"})
    remix = Video.objects.get(pk=response["Location"].split("/")[2])
    assert remix.remixed_from == video
    poll_until(remix, Status.COMPLETED, timeout=30)

    response = client.post(f"/videos/{video.pk}/delete/", follow=True)
    assert "LiteLLM cannot delete videos, so it keeps its own copy" in response.text
    assert not Video.objects.filter(pk=video.pk).exists()
    assert emulator.stats()["creates"] == 2
    assert emulator.stats()["requests"]["DELETE /v1/videos/{id}"] == 0


def test_a_refusal_reads_as_the_hosts_message(product, emulator, client):
    sign_up(client)
    video = create(client, "Something the host will not make [refuse]")
    assert video.status == Status.FAILED
    assert video.error_message == "Your request was blocked by our moderation system."
    assert video.error_code == "moderation_blocked"
    page = client.get(f"/videos/{video.pk}/").text
    assert "blocked by our moderation system" in page
    assert "BadRequestError" not in page and "OpenAIException" not in page
    assert not UsageCharge.objects.exists()


def test_a_size_the_host_refuses_stays_a_form_error(
    settings, product, emulator, client
):
    """Our table allows it, the host does not: its refusal lands on the field."""
    settings.SORA_MODELS = {"sora-2": {"sizes": ["1280x720", "1792x1024"]}}
    sign_up(client)
    response = client.post(
        "/videos/new/", {**FORM, "prompt": "Wide", "size": "1792x1024"}
    )
    assert response.status_code == 200
    assert "1792x1024" in response.context["form"].errors["size"][0]
    assert not Video.objects.exists() and not UsageCharge.objects.exists()


def test_a_create_whose_answer_is_dropped_is_paid_exactly_once(
    product, emulator, client
):
    """With LiteLLM's default retries, a lost answer made two paid videos; not now."""
    sign_up(client)
    emulator.inject_fault("/v1/videos", "drop", method="POST")
    video = create(client, "A hummingbird in slow motion")
    assert video.status == Status.PENDING
    poll_until(
        video, Status.PENDING, timeout=30
    )  # one pass: the lost create is looked into
    video.refresh_from_db()
    assert video.is_unconfirmed
    assert emulator.stats()["creates"] == 1
    assert (
        "We could not confirm whether LiteLLM accepted"
        in client.get(f"/videos/{video.pk}/").text
    )


def test_an_mp4_answered_as_a_thumbnail_is_replaced_by_our_own(
    settings, product, emulator, client
):
    """The gateway answers a thumbnail request with the MP4: its bytes give it away."""
    settings.SORA_MODELS = {"sora-2": {"variants": True}}  # an operator's mistake
    sign_up(client)
    video = create(client, "A fox crossing a snowy road")
    poll_until(video, Status.COMPLETED, archived=True, timeout=30)
    assert emulator.stats()["requests"]["GET /v1/videos/{id}/content"] == 3
    assert video.archived_thumbnail.name.endswith("-poster.webp")
    assert video.archived_spritesheet.name.endswith("-spritesheet.webp")
    thumbnail = client.get(f"/videos/{video.pk}/content/?variant=thumbnail")
    assert b"".join(thumbnail.streaming_content)[8:12] == b"WEBP"


def test_an_operator_who_claims_delete_gets_the_405_handled(
    settings, product, emulator, client
):
    settings.SORA_MODELS = {"sora-2": {"delete": True}}
    sign_up(client)
    video = create(client, "A kite over the dunes")
    response = client.post(f"/videos/{video.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert "LiteLLM cannot delete videos, so it keeps its own copy" in response.text
    assert not Video.objects.filter(pk=video.pk).exists()
