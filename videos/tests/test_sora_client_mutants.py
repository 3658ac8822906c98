"""The client's edges that `make mutants` found untested.

A remix is paid for like a create: a gateway must not retry it on its own (only creates
were checked for the no-retry header); through the emulator's `litellm` profile, which
retries a failed call unless asked not to, as the real proxy does. And a failed job
that a host answers with an error status is the host's verdict, wrapped in FastAPI's
`detail` or not, with or without words of its own (the emulator's vLLM-Omni always
sends some, unwrapped): built from the SDK's own error objects, as test_sora_errors.py
does.
"""

import httpx2
import openai
import pytest

from videos import sora
from videos.sora import client

pytestmark = pytest.mark.django_db


@pytest.fixture
def litellm(settings, emulator):
    settings.SORA_HOST_PRESET = "litellm"
    settings.OPENAI_MAX_RETRIES = 0
    emulator.reset(profile="litellm", render_seconds=1.0)
    return emulator


def remixes(emulator) -> list[dict]:
    return [video for video in emulator.videos() if video.get("remixed_from_video_id")]


def test_a_remix_whose_answer_failed_is_not_retried_by_the_gateway(litellm):
    source = sora.submit_video(
        prompt="A lighthouse at dusk", model="sora-2", size="1280x720", seconds=4
    )
    litellm.complete(source.id)
    litellm.inject_fault("/v1/videos/*/remix", "drop", method="POST")
    with pytest.raises(sora.TransientError) as lost:
        sora.remix_video(source.id, prompt="The same, at night")
    assert lost.value.outcome_unknown  # it may exist: look before asking again
    assert len(remixes(litellm)) == 1  # made once upstream, never a second time


# --- a failed job answered with an error status (vLLM-Omni) --------------------------


def status_error(status: int, **body):
    """The SDK's own error for an answer, as test_sora_errors.py builds them."""
    request = httpx2.Request("GET", "http://host.test/v1/videos/video_1")
    response = httpx2.Response(status, request=request, **body)
    client = openai.OpenAI(api_key="x", base_url="http://host.test/v1")
    return client._make_status_error_from_response(response)


def test_a_failed_job_wrapped_in_detail_without_a_message_is_a_verdict():
    """FastAPI servers may wrap the job in `detail`; a failure may come without words."""
    failed = client._failed_video_in(
        status_error(
            500, json={"detail": {"id": "video_1", "status": "failed", "error": None}}
        )
    )
    assert failed is not None
    assert (failed.id, failed.status) == ("video_1", "failed")
    assert failed.error_message == "OpenAI could not generate this video."


def test_a_failed_job_keeps_the_hosts_own_words():
    failed = client._failed_video_in(
        status_error(
            500,
            json={
                "id": "video_1",
                "status": "failed",
                "error": {"code": "500", "message": "CUDA out of memory"},
            },
        )
    )
    assert failed is not None and failed.error_message == "CUDA out of memory"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"json": {"id": "video_1", "status": "failed"}}),
        (500, {"json": {"id": "video_1", "status": "in_progress"}}),
        (500, {"json": {"detail": "Internal Server Error"}}),
        (502, {"text": "<html>Bad Gateway</html>"}),
    ],
    ids=["not-found", "not-failed", "plain-detail", "not-json"],
)
def test_other_error_answers_are_no_verdict(status, body):
    assert client._failed_video_in(status_error(status, **body)) is None
