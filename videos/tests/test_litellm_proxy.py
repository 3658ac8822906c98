"""How LiteLLM's real proxy (1.108.7) serves the Videos API in front of our emulator.

These tests characterize the gateway for the rest of the team: each one pins down what
the proxy really does with one part of the wire contract (ids, retries, errors, content),
through the raw `openai` SDK, so a product change that assumes otherwise is caught here
and a LiteLLM upgrade that changes behaviour shows up as a failing test.
"""

import base64
import json
import time
from typing import Any

import openai
import pytest
from openai.types import Video

from videos.emulator.control import EmulatorClient
from videos.tests.emulator_fixtures import TEST_API_KEY
from videos.tests.gateway_fixtures import LiteLLMProxy

pytestmark = pytest.mark.filterwarnings(
    "ignore:The Sora API is scheduled to permanently shut down:DeprecationWarning"
)

PROMPT = "A lighthouse on a cliff at dusk, waves below"
WRAP_PREFIX = "litellm.BadRequestError: OpenAIException - "
WRAP_SUFFIX = (
    "\n\nLiteLLM: model group 'sora-2' failed with the error above."
    " No fallback was attempted."
)


def _proxy_client(gateway: LiteLLMProxy) -> openai.OpenAI:
    # max_retries=0: the SDK's own retries would hide what the proxy answered.
    return openai.OpenAI(
        base_url=gateway.base_url, api_key=gateway.api_key, max_retries=0
    )


def _emulator_client(emulator: EmulatorClient) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=emulator.base_url, api_key=TEST_API_KEY, max_retries=0
    )


def _create(client: openai.OpenAI, prompt: str = PROMPT, **options: Any) -> Video:
    return client.videos.create(
        prompt=prompt, model="sora-2", size="1280x720", seconds="4", **options
    )


def _decode(video_id: str) -> dict[str, str]:
    """A proxy id's fields: `video_` + base64 of `key:value` pairs joined by `;`."""
    raw = video_id.removeprefix("video_")
    text = base64.b64decode(raw + "=" * (-len(raw) % 4)).decode()
    return dict(part.rsplit(":", 1) for part in text.split(";"))


def _only_inner_id(emulator: EmulatorClient) -> str:
    (video,) = emulator.videos()
    return video["id"]


def _completed(
    gateway: LiteLLMProxy, emulator: EmulatorClient
) -> tuple[openai.OpenAI, str, str]:
    """(proxy client, proxy id, emulator id) of a video completed at the emulator."""
    client = _proxy_client(gateway)
    video_id = _create(client).id
    inner_id = _only_inner_id(emulator)
    emulator.complete(inner_id)
    return client, video_id, inner_id


def test_create_returns_a_long_id_encoding_provider_model_and_upstream_id(
    gateway, emulator
):
    video = _create(_proxy_client(gateway))

    assert video.id.startswith("video_")
    assert len(video.id) >= 140
    fields = _decode(video.id)
    assert fields["litellm:custom_llm_provider"] == "openai"
    assert fields["model_id"] == "sora-2"
    assert fields["video_id"] == _only_inner_id(emulator)
    assert len(fields["deployment_id"]) == 64  # a sha256 of the deployment's params
    # The proxy's answer drops the prompt the upstream echoed back.
    assert emulator.videos()[0]["prompt"] == PROMPT
    assert video.prompt is None


def test_retrieve_answers_with_the_same_id(gateway, emulator):
    client = _proxy_client(gateway)
    video = _create(client)

    response = client.videos.with_raw_response.retrieve(video.id)

    assert response.http_response.status_code == 200
    assert response.parse().id == video.id
    assert response.parse().status in ("queued", "in_progress")
    assert response.headers["x-litellm-model-group"] == "sora-2"


def test_progress_passes_through_but_the_poll_hint_does_not(gateway, emulator):
    emulator.configure(render_seconds=20)  # queued for 2 s, then 1 % every 0.2 s
    client = _proxy_client(gateway)
    video_id = _create(client).id
    direct = _emulator_client(emulator).videos.with_raw_response
    inner_id = _only_inner_id(emulator)
    deadline = time.monotonic() + 10
    while (before := direct.retrieve(inner_id)).parse().progress == 0:
        assert time.monotonic() < deadline, "the emulator never started the video"
        time.sleep(0.1)

    proxied = client.videos.with_raw_response.retrieve(video_id)

    after = direct.retrieve(inner_id)
    assert before.headers["openai-poll-after-ms"] == "1000"
    assert "openai-poll-after-ms" not in proxied.headers
    assert proxied.parse().status == "in_progress"
    progress = proxied.parse().progress
    assert 0 < before.parse().progress <= progress <= after.parse().progress < 100


def test_content_is_the_upstream_mp4(gateway, emulator):
    client, video_id, inner_id = _completed(gateway, emulator)
    expected = _emulator_client(emulator).videos.download_content(inner_id).read()

    with client.videos.with_streaming_response.download_content(video_id) as response:
        body = response.read()

    assert response.status_code == 200
    assert body == expected
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["content-disposition"] == (
        f"attachment; filename=video_{video_id}.mp4"
    )
    assert "accept-ranges" not in response.headers


def test_range_is_ignored_and_the_whole_body_comes_back(gateway, emulator):
    client, video_id, _ = _completed(gateway, emulator)
    whole = client.videos.download_content(video_id).read()

    with client.videos.with_streaming_response.download_content(
        video_id, extra_headers={"Range": "bytes=0-99"}
    ) as response:
        body = response.read()

    assert response.status_code == 200
    assert "content-range" not in response.headers
    assert len(whole) > 100
    assert body == whole


def test_thumbnail_variant_returns_the_mp4(gateway, emulator):
    client, video_id, inner_id = _completed(gateway, emulator)
    direct = _emulator_client(emulator).videos.with_raw_response.download_content(
        inner_id, variant="thumbnail"
    )
    assert direct.headers["content-type"] == "image/webp"

    with client.videos.with_streaming_response.download_content(
        video_id, variant="thumbnail"
    ) as response:
        body = response.read()

    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert body[4:8] == b"ftyp"
    assert body == client.videos.download_content(video_id).read()


def test_delete_has_no_route(gateway, emulator):
    client, video_id, _ = _completed(gateway, emulator)

    with pytest.raises(openai.APIStatusError) as caught:
        client.videos.delete(video_id)

    assert caught.value.status_code == 405
    assert caught.value.response.json() == {"detail": "Method Not Allowed"}
    assert caught.value.response.headers["allow"] == "GET"
    assert emulator.stats()["requests"]["DELETE /v1/videos/{id}"] == 0


def test_list_without_custom_llm_provider_is_refused(gateway, emulator):
    with pytest.raises(openai.BadRequestError) as caught:
        _proxy_client(gateway).videos.list()

    error = caught.value.response.json()["error"]
    assert error["message"].startswith(
        "litellm.BadRequestError: LLM Provider NOT provided."
    )
    assert error["code"] == "400"
    assert error["param"] is None
    assert emulator.stats()["requests"]["GET /v1/videos"] == 0


def _wrapped(error: openai.APIStatusError) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the proxy's error object, the upstream's error object quoted in its message)."""
    outer = error.response.json()["error"]
    message = outer["message"]
    assert message.startswith(WRAP_PREFIX)
    assert message.endswith(WRAP_SUFFIX)
    inner = json.loads(message.removeprefix(WRAP_PREFIX).removesuffix(WRAP_SUFFIX))
    return outer, inner["error"]


def test_a_refused_prompt_comes_back_wrapped(gateway, emulator):
    with pytest.raises(openai.BadRequestError) as caught:
        _create(_proxy_client(gateway), prompt="A lighthouse [refuse]")

    outer, inner = _wrapped(caught.value)
    assert outer["type"] == "invalid_request_error"
    assert outer["code"] == "400"
    assert outer["param"] is None
    assert inner == {
        "message": "Your request was blocked by our moderation system.",
        "type": "invalid_request_error",
        "param": None,
        "code": "moderation_blocked",
    }
    # A 400 is not retried: one request, no video.
    assert emulator.stats()["requests"]["POST /v1/videos"] == 1
    assert emulator.stats()["creates"] == 0


def test_a_refused_size_keeps_its_param_only_inside_the_message(gateway, emulator):
    with pytest.raises(openai.BadRequestError) as caught:
        _proxy_client(gateway).videos.create(
            prompt=PROMPT, model="sora-2", size="1792x1024", seconds="4"
        )

    outer, inner = _wrapped(caught.value)
    assert outer["param"] is None
    assert inner["param"] == "size"
    assert inner["code"] == "invalid_value"


def test_a_dropped_create_is_retried_by_the_proxy_making_two_videos(gateway, emulator):
    emulator.inject_fault("/v1/videos", "drop", method="POST")

    response = _proxy_client(gateway).videos.with_raw_response.create(
        prompt=PROMPT, model="sora-2", size="1280x720", seconds="4"
    )

    assert response.http_response.status_code == 200
    assert response.headers["x-litellm-attempted-retries"] == "1"
    assert response.headers["x-litellm-max-retries"] == "2"
    assert emulator.stats()["creates"] == 2
    first, second = emulator.videos()
    assert _decode(response.parse().id)["video_id"] == second["id"]
    assert first["prompt"] == second["prompt"] == PROMPT


def test_num_retries_header_zero_stops_the_retry_and_answers_500(gateway, emulator):
    emulator.inject_fault("/v1/videos", "drop", method="POST")

    with pytest.raises(openai.InternalServerError) as caught:
        _create(_proxy_client(gateway), extra_headers={"x-litellm-num-retries": "0"})

    assert emulator.stats()["creates"] == 1
    assert caught.value.status_code == 500
    assert caught.value.response.json() == {
        "error": {
            "message": "litellm.InternalServerError: InternalServerError:"
            " OpenAIException - Server disconnected\n\nLiteLLM: model group"
            " 'sora-2' failed with the error above. No fallback was attempted.",
            "type": "internal_server_error",
            "param": None,
            "code": "500",
        }
    }
    assert "retry-after" not in caught.value.response.headers


def test_remix_answers_an_encoded_id_and_the_raw_source_id(gateway, emulator):
    client, video_id, inner_id = _completed(gateway, emulator)

    remix = client.videos.remix(video_id, prompt="The same lighthouse at night")

    assert remix.id.startswith("video_") and len(remix.id) >= 140
    assert remix.remixed_from_video_id == inner_id
    remixed = emulator.videos()[-1]
    assert _decode(remix.id)["video_id"] == remixed["id"]
    assert remixed["remixed_from_video_id"] == inner_id
