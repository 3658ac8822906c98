"""The product against every host as it really behaves (the emulator's profiles).

The same journey (create through the form → completes → archived → plays → remix
where offered → delete) runs against `openai`, `litellm`, `vllm-omni` and `sglang`,
each with its preset's models and its host's quirks (docs/hosts.md); then each quirk
that needs the product to cope gets its own test.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from videos import poller, sora
from videos.models import UsageCharge, Video
from videos.sora import profiles
from videos.tests.helpers import image_upload, poll_once, poll_until, wait_until

Status = Video.Status
PROFILES = ["openai", "litellm", "vllm-omni", "sglang"]
HOSTS_THAT_KEEP_A_FINISHED_VIDEO = {"litellm", "vllm-omni"}
"""No DELETE at all (LiteLLM), or a 409 for anything but a running job (vLLM-Omni)."""

pytestmark = pytest.mark.django_db


@pytest.fixture(params=PROFILES)
def host(request, settings, emulator) -> str:
    """The product configured for one host, and the emulator behaving as that host."""
    settings.SORA_HOST_PRESET = request.param
    emulator.reset(profile=request.param, render_seconds=1.0)
    return request.param


def use_host(settings, emulator, profile: str, **config) -> None:
    settings.SORA_HOST_PRESET = profile
    emulator.reset(profile=profile, **{"render_seconds": 1.0, **config})


def form_for(
    model: str, prompt: str = "A lighthouse at dusk, waves below"
) -> dict[str, str | SimpleUploadedFile]:
    """POST data and files for a valid create of `model` at its first size."""
    profile = profiles.profile_for(model)
    size = profile.sizes[0]
    with_image = profile.reference_image == "required"
    seconds = profile.seconds_for(size, with_reference=with_image)[0]
    data: dict[str, str | SimpleUploadedFile] = {
        "prompt": prompt,
        "model": model,
        "size": size,
        "seconds": str(seconds),
    }
    if with_image:
        data["input_reference"] = image_upload(*profiles.dimensions(size))
    return data


def create(client, model: str | None = None, **kwargs) -> Video:
    model = model or profiles.models()[0]
    response = client.post("/videos/new/", form_for(model, **kwargs))
    assert response.status_code == 302, response.context["form"].errors
    return Video.objects.get(pk=response["Location"].split("/")[2])


def test_the_whole_journey_on_every_host(host, user, user_client, emulator):
    video = create(user_client)
    assert video.status in (Status.QUEUED, Status.IN_PROGRESS)
    assert Video.objects.get(openai_video_id=video.openai_video_id) == video
    poll_until(video, Status.COMPLETED, archived=True)
    profile = video.host_profile

    # Plays from our archive, with Range, whatever the host does with Range.
    played = user_client.get(
        f"/videos/{video.pk}/content/", headers={"range": "bytes=0-99"}
    )
    assert played.status_code == 206
    assert played["Content-Range"].startswith("bytes 0-99/")
    assert len(b"".join(played.streaming_content)) == 100

    # A real poster on every host: the host's own where it makes them, else ours,
    # made from the MP4 (never the MP4 under an image's name).
    thumbnail = user_client.get(f"/videos/{video.pk}/content/?variant=thumbnail")
    assert thumbnail.status_code == 200
    assert thumbnail["Content-Type"].startswith("image/")
    assert sora.image_type(b"".join(thumbnail.streaming_content)[:16])
    made_here = video.archived_thumbnail.name.endswith("-poster.webp")
    assert made_here is not profile.variants
    page = user_client.get(f"/videos/{video.pk}/").text
    assert "?variant=thumbnail" in page
    assert ('action="/videos/' + str(video.pk) + '/remix/"' in page) is profile.remix

    if profile.remix:
        response = user_client.post(
            f"/videos/{video.pk}/remix/", {"prompt": "The same, at night"}
        )
        remix = Video.objects.get(pk=response["Location"].split("/")[2])
        assert remix.remixed_from == video
        poll_until(remix, Status.COMPLETED)

    response = user_client.post(f"/videos/{video.pk}/delete/", follow=True)
    assert not Video.objects.filter(pk=video.pk).exists()
    kept = "keeps it until that expires" if host == "vllm-omni" else "cannot delete"
    assert (kept in response.text) is (host in HOSTS_THAT_KEEP_A_FINISHED_VIDEO)
    assert emulator.stats()["creates"] == (2 if profile.remix else 1)


def test_gateway_ids_are_stored_whole(settings, emulator, user, user_client):
    """LiteLLM's ids run to hundreds of characters; PostgreSQL once refused them."""
    use_host(settings, emulator, "litellm")
    video = create(user_client, "sora-2")
    assert len(video.openai_video_id) >= 140
    assert video.openai_video_id.startswith("video_")
    poll_until(video, Status.COMPLETED)
    assert Video.objects.get(pk=video.pk).openai_video_id == video.openai_video_id


def test_a_refusal_through_the_gateway_reads_as_the_hosts_words(
    settings, emulator, user, user_client
):
    use_host(settings, emulator, "litellm")
    video = create(user_client, "sora-2", prompt="a scene [refuse]")
    assert video.status == Status.FAILED
    assert video.error_message == "Your request was blocked by our moderation system."
    assert video.error_code == "moderation_blocked"
    page = user_client.get(f"/videos/{video.pk}/").text
    assert "BadRequestError" not in page and "OpenAIException" not in page
    assert not UsageCharge.objects.filter(user=user).exists()


def test_a_size_the_gateway_refuses_is_a_form_error_and_free(
    settings, emulator, user, user_client
):
    use_host(settings, emulator, "litellm")
    settings.SORA_MODELS = {"sora-2": {"sizes": ["1280x720", "1792x1024"]}}
    data = {**form_for("sora-2"), "size": "1792x1024"}
    response = user_client.post("/videos/new/", data)
    assert response.status_code == 200
    error = response.context["form"].errors["size"][0]
    assert "1792x1024" in error and "LiteLLM" not in error
    assert not Video.objects.exists() and not UsageCharge.objects.exists()


def test_a_lost_create_through_the_gateway_is_paid_once_and_held_for_an_admin(
    settings, emulator, user, user_client
):
    """The gateway would retry a create itself; asked not to, it answers an error."""
    use_host(settings, emulator, "litellm")
    emulator.inject_fault("/v1/videos", "drop", method="POST")
    video = create(user_client, "sora-2")
    assert emulator.stats()["creates"] == 1  # the gateway did not pay twice

    # Nothing could be looked up later: held at once, and the user told so at once.
    assert video.status == Status.PENDING and video.submit_attempted_at
    assert video.is_unconfirmed and video.next_poll_at is None
    assert "cannot list videos" in video.unconfirmed_reason
    page = user_client.get(f"/videos/{video.pk}/").text
    assert "We could not confirm whether LiteLLM accepted this video" in page
    assert "Awaiting a check" in page and "<progress" not in page

    # Held: the poller leaves it alone instead of looping or resubmitting.
    assert video.pk not in [v.pk for v in poller.claim_due_videos(limit=10)]
    assert emulator.stats()["creates"] == 1


def test_a_host_that_cannot_be_reached_is_simply_asked_again(
    settings, emulator, user, user_client
):
    """A connection refused sent nothing: no lookup, no admin, just a retry."""
    use_host(settings, emulator, "litellm")
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens there
    video = create(user_client, "sora-2")
    assert video.status == Status.PENDING and not video.is_unconfirmed
    assert video.submit_attempted_at is None and video.transient_failures == 1
    settings.OPENAI_BASE_URL = emulator.base_url
    poll_once(video)
    video.refresh_from_db()
    assert video.status in (Status.QUEUED, Status.IN_PROGRESS)
    assert emulator.stats()["creates"] == 1


def test_a_list_without_prompts_cannot_be_matched_and_is_held(
    settings, emulator, user, user_client
):
    """LiteLLM can list (with custom_llm_provider) but answers prompt: null."""
    use_host(settings, emulator, "litellm")
    settings.SORA_MODELS = {"sora-2": {"list": True}}
    emulator.inject_fault("/v1/videos", "drop", method="POST")
    video = create(user_client, "sora-2")
    poll_once(video)
    video.refresh_from_db()
    assert video.is_unconfirmed
    assert "LiteLLM" in video.unconfirmed_reason
    assert emulator.stats()["creates"] == 1


def test_a_host_that_can_list_adopts_the_lost_create(
    settings, emulator, user, user_client
):
    use_host(settings, emulator, "vllm-omni")
    emulator.inject_fault("/v1/videos", "drop", method="POST")
    video = create(user_client)
    poll_once(video)
    video.refresh_from_db()
    assert video.openai_video_id and not video.is_unconfirmed
    assert emulator.stats()["creates"] == 1


def test_a_rate_limited_create_is_resent_without_a_lookup(
    settings, emulator, user, user_client
):
    """A 429 made no video: even a host that cannot list can simply be asked again."""
    use_host(settings, emulator, "litellm")
    emulator.inject_fault("/v1/videos", "429", method="POST")
    video = create(user_client, "sora-2")
    assert video.status == Status.PENDING and video.submit_attempted_at is None
    poll_once(video)
    video.refresh_from_db()
    assert video.status in (Status.QUEUED, Status.IN_PROGRESS)
    assert emulator.stats()["creates"] == 1


def test_a_failed_job_answered_with_an_error_status_is_a_verdict(
    settings, emulator, user, user_client
):
    """vLLM-Omni answers a failed job's retrieve with a non-200 describing it."""
    use_host(settings, emulator, "vllm-omni")
    video = create(user_client, prompt="this one will [fail]")
    failed = poll_until(video, Status.FAILED)
    assert failed.error_message and "unavailable" not in failed.error_message
    assert failed.transient_failures == 0
    assert not UsageCharge.objects.filter(video=video).exists()


def test_progress_stays_at_zero_until_done_where_the_host_reports_none(
    settings, emulator, user, user_client
):
    use_host(settings, emulator, "vllm-omni", render_seconds=3.0)
    video = create(user_client)
    wait_until(lambda: sora.fetch_video(video.openai_video_id).status == "in_progress")
    poll_once(video)
    video.refresh_from_db()
    assert (video.status, video.progress) == (Status.IN_PROGRESS, 0)
    assert video.next_poll_at > timezone.now() - timedelta(seconds=1)


def test_relay_where_the_host_ignores_range_sends_what_it_really_sent(
    settings, emulator, user, user_client
):
    """No invented 206: the full body as a 200, and no promise of seeking."""
    use_host(settings, emulator, "litellm")
    settings.VIDEO_ARCHIVE = False
    video = create(user_client, "sora-2")
    poll_until(video, Status.COMPLETED)
    response = user_client.get(
        f"/videos/{video.pk}/content/", headers={"range": "bytes=0-99"}
    )
    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "none"
    assert len(body) == int(response["Content-Length"]) > 100
    thumbnail = user_client.get(f"/videos/{video.pk}/content/?variant=thumbnail")
    assert thumbnail.status_code == 404


@pytest.fixture
def held_video(settings, emulator, user, user_client) -> Video:
    """A create whose answer the gateway lost, held for an admin's decision."""
    use_host(settings, emulator, "litellm")
    emulator.inject_fault("/v1/videos", "drop", method="POST")
    video = create(user_client, "sora-2")
    poll_once(video)
    video.refresh_from_db()
    assert video.is_unconfirmed
    return video


def run_admin_action(client_for, staff_user, action: str, video: Video):
    return client_for(staff_user).post(
        "/admin/videos/video/",
        {"action": action, "_selected_action": [video.pk]},
        follow=True,
    )


def test_the_admin_finds_held_videos_and_gives_up_returning_the_seconds(
    held_video, client_for, staff_user, user, user_client, emulator
):
    admin = client_for(staff_user)
    listed = admin.get("/admin/videos/video/", {"unconfirmed": "yes"}).text
    assert held_video.short_prompt in listed
    response = run_admin_action(client_for, staff_user, "give_up", held_video)
    assert "Gave up 1 unconfirmed video(s)." in response.text
    held_video.refresh_from_db()
    assert held_video.status == Status.FAILED
    assert held_video.error_code == "unconfirmed"
    assert not UsageCharge.objects.filter(user=user).exists()
    page = user_client.get(f"/videos/{held_video.pk}/").text
    assert "seconds were returned" in page
    assert emulator.stats()["creates"] == 1


def test_the_admin_submits_again_knowing_it_may_pay_twice(
    held_video, client_for, staff_user, emulator
):
    response = run_admin_action(client_for, staff_user, "submit_again", held_video)
    assert "Sent back 1 unconfirmed video(s)." in response.text
    poll_once(held_video)
    held_video.refresh_from_db()
    assert held_video.openai_video_id and not held_video.is_unconfirmed
    assert held_video.status in (Status.QUEUED, Status.IN_PROGRESS)
    assert emulator.stats()["creates"] == 2


def test_admin_actions_leave_other_videos_alone(
    client_for, staff_user, user, make_video
):
    video = make_video(user, status=Status.QUEUED, openai_video_id="video_x")
    response = run_admin_action(client_for, staff_user, "give_up", video)
    assert "Skipped 1 that are not unconfirmed submits." in response.text
    video.refresh_from_db()
    assert video.status == Status.QUEUED
