"""A remix is paid for like a create: a gateway must not retry it on its own.

Found by `make mutants`: only creates were checked for the no-retry header. Through the
emulator's `litellm` profile, which retries a failed call unless asked not to, as the
real proxy does (videos/emulator/litellm.py).
"""

import pytest

from videos import sora

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
