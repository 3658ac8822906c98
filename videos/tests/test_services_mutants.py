"""The services' rules that `make mutants` found untested, against the emulator over HTTP.

An upstream video whose row is gone (a paid orphan), the admin's retry and its choices for
a lost submit, a refused create's uploaded image, and what users and the log are told.
"""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from videos import services, sora
from videos.emulator.server import EmulatorServer
from videos.errors import NotAllowed, UpstreamRefused
from videos.models import UsageCharge, Video
from videos.tests.helpers import image_upload

pytestmark = pytest.mark.django_db

Status = Video.Status


def upstream_video(prompt: str = "A fox in the snow") -> sora.UpstreamVideo:
    return sora.submit_video(prompt=prompt, model="sora-2", size="1280x720", seconds=4)


def deleted_upstream(emulator) -> set[str]:
    return {video["id"] for video in emulator.videos() if video.get("deleted")}


# --- a video accepted upstream after its row went away ---------------------------------


def test_an_accepted_video_without_its_row_is_deleted_upstream(
    user, make_video, emulator
):
    video = make_video(user)
    upstream = upstream_video()
    Video.objects.filter(pk=video.pk).delete()
    services.record_accepted(video, upstream)
    assert deleted_upstream(emulator) == {upstream.id}


def test_an_orphan_at_a_host_that_cannot_delete_is_logged(
    user, make_video, emulator, settings, caplog
):
    settings.SORA_MODELS = {"sora-2": {"delete": False}}
    video = make_video(user)
    upstream = upstream_video()
    Video.objects.filter(pk=video.pk).delete()
    with caplog.at_level(logging.ERROR, logger="videos.services"):
        services.record_accepted(video, upstream)
    assert deleted_upstream(emulator) == set()
    assert [record.getMessage() for record in caplog.records] == [
        f"upstream video {upstream.id} has no row here, and OpenAI cannot delete it"
    ]


def test_an_orphan_the_host_fails_to_delete_is_logged(
    user, make_video, emulator, settings, caplog
):
    settings.OPENAI_MAX_RETRIES = 0
    video = make_video(user)
    upstream = upstream_video()
    Video.objects.filter(pk=video.pk).delete()
    emulator.inject_fault("/v1/videos/*", "500", method="DELETE")
    with caplog.at_level(logging.ERROR, logger="videos.services"):
        services.record_accepted(video, upstream)
    assert deleted_upstream(emulator) == set()
    (message,) = [record.getMessage() for record in caplog.records]
    assert message.startswith(
        f"upstream video {upstream.id} has no row here and could not be deleted: "
        "OpenAI is unavailable (500)"
    )


# --- the admin's retry and its choices for a lost submit -------------------------------


def test_requeue_makes_a_video_due_now_with_a_clean_slate(user, make_video):
    video = make_video(
        user,
        status=Status.QUEUED,
        next_poll_at=timezone.now() + timedelta(hours=1),
        poll_interval=300,
        transient_failures=7,
        stuck_since=timezone.now() - timedelta(hours=2),
    )
    services.requeue(video)
    video.refresh_from_db()
    assert video.next_poll_at <= timezone.now()
    assert (video.poll_interval, video.transient_failures) == (0, 0)
    assert video.stuck_since is None


def test_requeue_at_a_given_time(user, make_video):
    video = make_video(user, status=Status.QUEUED)
    at = timezone.now() + timedelta(minutes=3)
    services.requeue(video, at=at)
    video.refresh_from_db()
    assert video.next_poll_at == at


def held(make_video, user, **fields) -> Video:
    """A pending video whose submit went unanswered, held for an admin."""
    fields.setdefault("status", Status.PENDING)
    return make_video(
        user,
        submit_attempted_at=timezone.now() - timedelta(minutes=5),
        unconfirmed_since=timezone.now() - timedelta(minutes=4),
        unconfirmed_reason="the answer to its submit was lost",
        next_poll_at=None,
        transient_failures=3,
        poll_interval=60,
        **fields,
    )


def test_submit_again_clears_the_hold_and_makes_it_due(user, make_video):
    video = held(make_video, user)
    services.resubmit_unconfirmed(video)
    video.refresh_from_db()
    assert video.unconfirmed_since is None
    assert video.unconfirmed_reason == ""
    assert video.submit_attempted_at is None  # no lookup before this submit
    assert video.next_poll_at <= timezone.now()
    assert (video.poll_interval, video.transient_failures) == (0, 0)


def test_submit_again_leaves_a_video_that_is_no_longer_pending_alone(user, make_video):
    video = held(make_video, user, status=Status.FAILED)
    services.resubmit_unconfirmed(video)
    stored = Video.objects.get(pk=video.pk)
    assert stored.unconfirmed_since is not None
    assert stored.unconfirmed_reason == "the answer to its submit was lost"
    assert stored.next_poll_at is None


def test_giving_up_fails_the_video_returns_its_seconds_and_says_why(user, make_video):
    video = services.give_up_unconfirmed(held(make_video, user))
    stored = Video.objects.get(pk=video.pk)
    assert stored.status == Status.FAILED
    assert stored.error_code == "unconfirmed"
    assert stored.error_message == (
        "We could not confirm that OpenAI accepted this video, so it was cancelled."
    )
    assert stored.unconfirmed_since is None
    assert not UsageCharge.objects.filter(video=stored).exists()
    assert video.unconfirmed_since is None  # the instance handed back says the same


# --- what a refused create leaves behind ------------------------------------------------


def test_a_refused_reference_image_is_not_kept(user, emulator, settings):
    upload = image_upload(640, 480)  # the host wants exactly 1280x720
    with pytest.raises(UpstreamRefused) as refused:
        services.create_video(
            user=user,
            prompt="A kite over the dunes",
            model="sora-2",
            size="1280x720",
            seconds=4,
            input_reference=upload,
        )
    assert refused.value.field == "input_reference"
    assert not Video.objects.exists()
    assert not UsageCharge.objects.exists()
    media = settings.MEDIA_ROOT
    assert [path for path in media.rglob("*") if path.is_file()] == []


# --- what users and the log read --------------------------------------------------------


def test_a_running_video_cannot_be_remixed_and_says_so(user, make_video):
    source = make_video(user, status=Status.IN_PROGRESS)
    with pytest.raises(NotAllowed) as refused:
        services.remix_video(user=user, source=source, prompt="At night")
    assert str(refused.value) == "Only a completed video can be remixed."


def test_an_expired_video_is_logged_by_its_id(user, make_video, caplog):
    video = make_video(user, status=Status.COMPLETED)
    with caplog.at_level(logging.WARNING, logger="videos.services"):
        services.mark_expired(video)
    assert f"video {video.pk} expired before it could be archived" in caplog.text
    assert Video.objects.get(pk=video.pk).status == Status.EXPIRED


# --- moderation, form tokens and quotas --------------------------------------------------


def test_a_remix_prompt_is_moderated_too(user, completed_video, settings):
    from videos.errors import PromptFlagged

    settings.OPENAI_MODERATION_MODEL = "omni-moderation-latest"
    source = completed_video(user)
    with pytest.raises(PromptFlagged):
        services.remix_video(user=user, source=source, prompt="a brawl [flag]")
    assert Video.objects.count() == 1  # only the source


def test_moderation_that_cannot_be_reached_says_nothing_was_charged(
    user, emulator, settings
):
    from videos.errors import UpstreamUnavailable

    settings.OPENAI_MODERATION_MODEL = "omni-moderation-latest"
    settings.OPENAI_MAX_RETRIES = 0
    emulator.inject_fault("/v1/moderations", "500", method="POST")
    with pytest.raises(UpstreamUnavailable) as unavailable:
        services.create_video(
            user=user, prompt="A calm lake", model="sora-2", size="1280x720", seconds=4
        )
    assert str(unavailable.value) == (
        "We could not check the prompt with OpenAI's moderation right now; nothing "
        "was charged. Please try again in a minute."
    )
    assert unavailable.value.field == "prompt"
    assert not Video.objects.exists()


def test_a_form_token_is_one_users_own(user, other_user, emulator):
    """Another account sending the same token (a shared link, a replayed form) gets a
    video of its own, never the first account's."""
    import uuid

    token = uuid.uuid4()
    params = {"prompt": "A calm lake", "model": "sora-2", "size": "1280x720"}
    mine = services.create_video(user=user, seconds=4, form_token=token, **params)
    again = services.create_video(user=user, seconds=4, form_token=token, **params)
    theirs = services.create_video(
        user=other_user, seconds=4, form_token=token, **params
    )
    assert again.pk == mine.pk
    assert theirs.pk != mine.pk and theirs.user == other_user
    assert UsageCharge.objects.filter(user=other_user).count() == 1


# --- archiving when the host's copy runs out -----------------------------------------


def test_an_archive_that_keeps_failing_past_expiry_ends_expired(
    user, completed_video, emulator, settings
):
    settings.OPENAI_MAX_RETRIES = 0
    video = completed_video(user, expires_at=timezone.now() - timedelta(minutes=1))
    emulator.inject_fault("/v1/videos/*/content", "503", method="GET")
    outcome = services.archive_completed(video)
    assert outcome.expired and not outcome.archived
    assert outcome.note.startswith("(expired at OpenAI while copies kept failing (")
    assert outcome.note.endswith("), before it could be archived)")
    assert Video.objects.get(pk=video.pk).status == Status.EXPIRED


def test_an_archive_that_fails_before_expiry_is_retried(
    user, completed_video, emulator, settings
):
    settings.OPENAI_MAX_RETRIES = 0
    video = completed_video(user, expires_at=timezone.now() + timedelta(hours=1))
    emulator.inject_fault("/v1/videos/*/content", "503", method="GET")
    outcome = services.archive_completed(video)
    assert not outcome.expired and not outcome.archived
    assert outcome.note.startswith("(archive failed, will retry: OpenAI is unavailable")
    stored = Video.objects.get(pk=video.pk)
    assert stored.status == Status.COMPLETED and stored.transient_failures == 1


# --- what the log says -------------------------------------------------------------------


def test_a_transient_failure_is_logged_with_the_hosts_words(user, make_video, caplog):
    video = make_video(user, status=Status.QUEUED)
    with caplog.at_level(logging.WARNING, logger="videos.services"):
        services.record_transient_failure(video, sora.TransientError("busy, come back"))
    assert f"video {video.pk}: transient upstream error: busy, come back" in (
        caplog.text
    )


def test_a_held_video_keeps_2000_characters_of_why_and_logs_it(
    user, make_video, caplog
):
    video = make_video(user, submit_attempted_at=timezone.now())
    reason = "the host would not say " + "x" * 2500
    with caplog.at_level(logging.WARNING, logger="videos.services"):
        services.hold_unconfirmed(video, reason=reason)
    stored = Video.objects.get(pk=video.pk)
    assert stored.unconfirmed_reason == reason[:2000]
    assert stored.unconfirmed_since is not None and stored.next_poll_at is None
    assert f"video {video.pk}: submit unconfirmed, held for an admin: {reason}" in (
        caplog.text
    )


# --- delete --------------------------------------------------------------------------------


def test_deleting_a_video_the_host_no_longer_has_says_nothing(
    user, make_video, emulator
):
    upstream = upstream_video()
    sora.delete_video(upstream.id)
    video = make_video(user, status=Status.COMPLETED, openai_video_id=upstream.id)
    assert services.delete_video(video=video) == ""
    assert not Video.objects.filter(pk=video.pk).exists()


@pytest.fixture
def keyed_emulator(settings):
    """An emulator of its own that checks the API key (the session's takes any)."""
    server = EmulatorServer(render_seconds=1.0, api_key="sk-the-right-key").start()
    settings.OPENAI_BASE_URL = server.base_url
    settings.OPENAI_API_KEY = "sk-the-right-key"
    yield server
    server.stop()


def test_a_host_that_refuses_a_delete_keeps_the_row_and_says_why(
    user, make_video, keyed_emulator, settings
):
    upstream = upstream_video()
    video = make_video(user, status=Status.COMPLETED, openai_video_id=upstream.id)
    settings.OPENAI_API_KEY = "sk-a-revoked-key"
    with pytest.raises(NotAllowed) as refused:
        services.delete_video(video=video)
    said = str(refused.value)
    assert said.startswith("OpenAI refused to delete this video: ")
    assert "API key" in said  # the host's own words follow
    assert Video.objects.filter(pk=video.pk).exists()


def test_a_file_that_cannot_be_removed_is_logged_and_the_row_still_goes(
    user, make_video, settings, caplog
):
    video = make_video(user, status=Status.FAILED)
    name = f"archive/{video.pk}/clip.mp4"
    blocked = settings.MEDIA_ROOT / name
    blocked.mkdir(parents=True)
    (blocked / "inside").write_bytes(b"x")  # a folder with a file: cannot be removed
    Video.objects.filter(pk=video.pk).update(archived_video=name)
    video.refresh_from_db()
    with caplog.at_level(logging.ERROR, logger="videos.services"):
        assert services.delete_video(video=video) == ""
    assert not Video.objects.filter(pk=video.pk).exists()
    assert f"could not delete file {name} of video " in caplog.text


def test_transient_failures_back_off_doubling_the_interval(user, make_video, settings):
    settings.POLL_INTERVAL_MIN, settings.POLL_INTERVAL_MAX = 5, 60
    settings.POLL_JITTER = 0
    video = make_video(user, status=Status.QUEUED, poll_interval=8)
    before = timezone.now()
    services.record_transient_failure(video, sora.TransientError("busy"))
    stored = Video.objects.get(pk=video.pk)
    assert stored.poll_interval == 16
    assert before + timedelta(seconds=16) <= stored.next_poll_at
    assert stored.next_poll_at <= timezone.now() + timedelta(seconds=16)
    assert (stored.transient_failures, stored.last_transient_error) == (1, "busy")


def test_a_long_transient_error_keeps_its_first_1000_characters(user, make_video):
    video = make_video(user, status=Status.QUEUED)
    words = "".join(f"{n % 10}" for n in range(2500))
    services.record_transient_failure(video, sora.TransientError(words))
    assert Video.objects.get(pk=video.pk).last_transient_error == words[:1000]


def test_a_retry_after_longer_than_the_backoff_is_honoured(user, make_video, settings):
    settings.POLL_INTERVAL_MIN, settings.POLL_INTERVAL_MAX = 5, 60
    settings.POLL_JITTER = 0
    video = make_video(user, status=Status.QUEUED, poll_interval=5)
    before = timezone.now()
    error = sora.TransientError("slow down", retry_after=300)
    services.record_transient_failure(video, error)
    stored = Video.objects.get(pk=video.pk)
    assert stored.next_poll_at >= before + timedelta(seconds=300)


def test_a_rate_limited_create_hands_back_a_video_with_no_attempt_to_look_for(
    user, emulator
):
    """A 429 made no video: the instance the view gets must say so, as the row does."""
    emulator.inject_fault("/v1/videos", "429", method="POST")
    video = services.create_video(
        user=user, prompt="A calm lake", model="sora-2", size="1280x720", seconds=4
    )
    assert video.status == Status.PENDING
    assert video.submit_attempted_at is None
    assert Video.objects.get(pk=video.pk).submit_attempted_at is None


def test_a_remix_sent_twice_with_one_form_token_is_made_and_charged_once(
    user, completed_video, emulator
):
    import uuid

    source = completed_video(user)
    token = uuid.uuid4()
    first = services.remix_video(
        user=user, source=source, prompt="At night", form_token=token
    )
    again = services.remix_video(
        user=user, source=source, prompt="At night", form_token=token
    )
    assert again.pk == first.pk
    assert UsageCharge.objects.filter(video__remixed_from=source).count() == 1
    assert emulator.stats()["creates"] == 2  # the source, and the remix once


def test_a_remix_of_a_video_the_host_no_longer_has_fails_as_gone(user, completed_video):
    """The host answers the remix 404: its copy of the original is gone (expired or
    deleted there), which is that verdict, not a refusal of the new prompt."""
    source = completed_video(user)
    sora.delete_video(source.openai_video_id)
    remix = services.remix_video(user=user, source=source, prompt="At night")
    assert remix.status == Video.Status.FAILED
    assert remix.error_code == "source_gone"
    assert remix.error_message.startswith("The original video no longer exists at ")
