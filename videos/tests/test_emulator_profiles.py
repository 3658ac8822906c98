"""The emulator's host profiles, through the real `openai` SDK over HTTP.

Each profile reproduces one host's documented differences (docs/hosts.md) so the product's
tests can run one journey against every host; these tests pin each difference down as
the SDK sees it: ids, status codes, error bodies, content, retries.
"""

import base64
import io
import json
import re
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from videos.emulator import EmulatorServer
from videos.emulator.clips import ClipSpec
from videos.emulator.control import EmulatorClient, EmulatorControlError
from videos.tests.emulator_fixtures import TEST_API_KEY
from videos.tests.helpers import wait_until

pytestmark = pytest.mark.filterwarnings(
    "ignore:The Sora API is scheduled to permanently shut down:DeprecationWarning"
)

PROMPT = "A lighthouse on a cliff at dusk, waves below"
WAN_T2V = "Wan-AI/Wan2.2-T2V-A14B-Diffusers"
WAN_TI2V = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"
LITELLM_SUFFIX = (
    "\n\nLiteLLM: model group '{}' failed with the error above."
    " No fallback was attempted."
)


def sdk(emulator: EmulatorClient) -> openai.OpenAI:
    # max_retries=0: the SDK's own retries would hide what the host answered.
    return openai.OpenAI(
        base_url=emulator.base_url, api_key=TEST_API_KEY, max_retries=0
    )


def png(width: int, height: int) -> tuple[str, bytes, str]:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 160)).save(buffer, format="PNG")
    return ("ref.png", buffer.getvalue(), "image/png")


def clip_of(server: EmulatorServer, video: Any) -> bytes:
    """The MP4 the server's clip cache holds for a video's size and length."""
    spec = ClipSpec.of(video.size, video.seconds)
    return server.app.clips.get("video", spec).path.read_bytes()


def decode(video_id: str) -> dict[str, str]:
    """A LiteLLM id's fields: `video_` + base64 of `key:value` pairs joined by `;`."""
    data = video_id.removeprefix("video_")
    text = base64.b64decode(data + "=" * (-len(data) % 4)).decode()
    return dict(part.rsplit(":", 1) for part in text.split(";"))


def encode(fields: dict[str, str]) -> str:
    text = ";".join(f"{key}:{value}" for key, value in fields.items())
    return "video_" + base64.b64encode(text.encode()).decode()


def raw_get(emulator: EmulatorClient, path: str, **headers: str) -> tuple[int, Any]:
    """A GET without the SDK: (status, JSON body)."""
    request = urllib.request.Request(emulator.root_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def only_video(emulator: EmulatorClient) -> dict[str, Any]:
    (video,) = emulator.videos()
    return video


# --- Choosing a profile -------------------------------------------------------------------


def test_the_default_profile_is_openai_with_its_preset_models(emulator):
    config = emulator.reset()

    assert config["profile"] == "openai"
    assert list(config["models"]) == ["sora-2", "sora-2-pro"]
    assert config["models"]["sora-2-pro"]["sizes"][-1] == "1792x1024"
    assert config["models"]["sora-2"]["reference_image"] == "optional"


def test_a_profile_brings_its_hosts_preset_models(emulator):
    assert list(emulator.reset(profile="vllm-omni")["models"]) == [WAN_T2V]
    assert emulator.reset(profile="sglang")["models"][WAN_TI2V] == {
        "sizes": ["1280x704", "704x1280"],
        "seconds": [5],
        "reference_image": "required",
        "seconds_by_size": {},
        "seconds_with_reference": [],
    }
    litellm = emulator.configure(profile="litellm")["models"]
    assert list(litellm) == ["sora-2", "veo-3.1", "gen4_turbo"]
    assert litellm["veo-3.1"]["seconds_by_size"]["1920x1080"] == [8]
    assert litellm["veo-3.1"]["seconds_with_reference"] == [8]
    assert emulator.reset()["profile"] == "openai"  # reset: the server's defaults


def test_the_products_own_preset_brings_its_resolved_table(emulator, settings):
    """When the product is configured for that host, SORA_MODELS overrides apply."""
    settings.SORA_HOST_PRESET = "litellm"
    settings.SORA_MODELS = {"sora-2": {"seconds": [4]}, "veo-3.1": None}

    models = emulator.reset(profile="litellm")["models"]

    assert list(models) == ["sora-2", "gen4_turbo"]
    assert models["sora-2"]["seconds"] == [4]
    assert emulator.reset(profile="vllm-omni")["models"][WAN_T2V]["seconds"] == [3, 5]


def test_explicit_models_win_and_keep_their_extra_keys(emulator):
    config = emulator.reset(
        profile="sglang",
        models={
            "m": {
                "sizes": ["64x64"],
                "seconds": [2, 4],
                "reference_image": "none",
                "seconds_by_size": {"64x64": [4]},
                "description": "ignored, as the product's profiles carry it",
            }
        },
    )

    assert config["profile"] == "sglang"
    assert config["models"] == {
        "m": {
            "sizes": ["64x64"],
            "seconds": [2, 4],
            "reference_image": "none",
            "seconds_by_size": {"64x64": [4]},
            "seconds_with_reference": [],
        }
    }


@pytest.mark.parametrize(
    "config",
    [
        {"profile": "new-api"},
        {"profile": None},
        {"models": {"m": {"sizes": ["64x64"], "seconds": [4], "reference_image": "x"}}},
        {"models": {"m": {"sizes": ["64x64"], "seconds": [4], "seconds_by_size": 3}}},
    ],
)
def test_an_invalid_profile_or_model_entry_is_refused(emulator, config):
    with pytest.raises(EmulatorControlError) as refused:
        emulator.configure(**config)

    assert refused.value.status == 400


def test_the_server_takes_a_profile():
    with EmulatorServer(profile="vllm-omni") as server:
        assert server.app.config.profile == "vllm-omni"
        assert list(server.app.config.models) == [WAN_T2V]
    with pytest.raises(ValueError, match="profile"):
        EmulatorServer(profile="runway")


def test_the_command_documents_and_checks_profiles(capsys):
    with pytest.raises(SystemExit):
        call_command("sora_emulator", "--help")
    help_text = capsys.readouterr().out
    for needle in (
        "--profile",
        "litellm",
        "vllm-omni",
        "sglang",
        "x-litellm-num-retries",
    ):
        assert needle in help_text
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("sora_emulator", "--profile", "runway")


# --- Model rules every profile applies -----------------------------------------------------


def test_a_model_that_needs_a_reference_image_refuses_a_create_without_one(emulator):
    emulator.reset(
        models={
            "anim": {"sizes": ["64x64"], "seconds": [5], "reference_image": "required"}
        }
    )
    client = sdk(emulator)

    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create(prompt=PROMPT, model="anim", size="64x64", seconds="5")
    made = client.videos.create(
        prompt=PROMPT,
        model="anim",
        size="64x64",
        seconds="5",
        input_reference=png(64, 64),
    )

    assert refused.value.status_code == 400
    assert refused.value.param == "input_reference"
    assert refused.value.code == "missing_required_parameter"
    assert made.status == "queued"


def test_a_text_only_model_refuses_a_reference_image(emulator):
    emulator.reset(
        models={"text": {"sizes": ["64x64"], "seconds": [4], "reference_image": "none"}}
    )

    with pytest.raises(openai.BadRequestError) as refused:
        sdk(emulator).videos.create(
            prompt=PROMPT, model="text", size="64x64", input_reference=png(64, 64)
        )

    assert refused.value.param == "input_reference"
    assert emulator.videos() == []


def test_lengths_can_depend_on_the_size_and_the_reference_image(emulator):
    emulator.reset(
        models={
            "veo": {
                "sizes": ["1280x720", "1920x1080"],
                "seconds": [4, 6, 8],
                "seconds_by_size": {"1920x1080": [8]},
                "seconds_with_reference": [8],
            }
        }
    )
    client = sdk(emulator)

    def refusal(**options: Any) -> str:
        with pytest.raises(openai.BadRequestError) as refused:
            client.videos.create(prompt=PROMPT, model="veo", **options)
        assert refused.value.param == "seconds"
        return refused.value.message

    assert "Allowed values: 8" in refusal(size="1920x1080", seconds="4")
    assert "with a reference image" in refusal(
        size="1280x720", seconds="6", input_reference=png(1280, 720)
    )
    assert client.videos.create(
        prompt=PROMPT, model="veo", size="1280x720", seconds="6"
    )
    assert client.videos.create(
        prompt=PROMPT, model="veo", size="1920x1080", seconds="8"
    )


# --- LiteLLM's proxy --------------------------------------------------------------------------


@pytest.fixture
def litellm(emulator) -> openai.OpenAI:
    emulator.reset(profile="litellm", render_seconds=1.0)
    return sdk(emulator)


def test_litellm_ids_encode_provider_model_upstream_id_and_deployment(
    litellm, emulator
):
    response = litellm.videos.with_raw_response.create(
        prompt=PROMPT, model="sora-2", size="1280x720", seconds="4"
    )
    video = response.parse()
    body = response.http_response.json()

    assert len(video.id) == 242
    assert decode(video.id) == {
        "litellm:custom_llm_provider": "openai",
        "model_id": "sora-2",
        "video_id": only_video(emulator)["id"],
        "deployment_id": decode(video.id)["deployment_id"],
    }
    assert re.fullmatch(r"[0-9a-f]{64}", decode(video.id)["deployment_id"])
    assert re.fullmatch(r"video_[0-9a-f]{32}", only_video(emulator)["id"])
    # LiteLLM's video object has no prompt, and adds usage.
    assert "prompt" not in body and video.prompt is None
    assert body["usage"] == {"duration_seconds": 4.0}
    assert response.headers["x-litellm-version"] == "1.108.7"


def test_litellm_retrieve_reencodes_the_id_and_any_encoding_works(litellm, emulator):
    created = litellm.videos.create(prompt=PROMPT, model="sora-2")
    upstream = only_video(emulator)["id"]

    polled = litellm.videos.retrieve(created.id)
    again = litellm.videos.retrieve(polled.id)
    short = encode(
        {
            "litellm:custom_llm_provider": "openai",
            "model_id": "sora-2",
            "video_id": upstream,
        }
    )
    unpadded = litellm.videos.retrieve(short.rstrip("="))

    assert polled.id != created.id
    assert {**decode(polled.id), "deployment_id": ""} == {
        **decode(created.id),
        "deployment_id": "",
    }
    assert again.id == polled.id
    assert unpadded.id == polled.id
    emulator.complete(created.id)  # control endpoints take encoded ids too
    for video_id in (created.id, polled.id, short):
        assert litellm.videos.download_content(video_id).read()[4:8] == b"ftyp"
    remix = litellm.videos.remix(polled.id, prompt="At night")
    assert remix.remixed_from_video_id == upstream


def test_litellm_remix_answers_the_raw_upstream_source_id(litellm, emulator):
    source = litellm.videos.create(prompt=PROMPT, model="sora-2")
    emulator.complete(source.id)

    remix = litellm.videos.remix(source.id, prompt="The same lighthouse at night")

    upstream_source, upstream_remix = (video["id"] for video in emulator.videos())
    assert remix.remixed_from_video_id == upstream_source
    assert decode(remix.id)["video_id"] == upstream_remix
    assert len(remix.id) == 242


def test_litellm_has_no_delete(litellm, emulator):
    video = litellm.videos.create(prompt=PROMPT, model="sora-2")

    with pytest.raises(openai.APIStatusError) as refused:
        litellm.videos.delete(video.id)

    assert refused.value.status_code == 405
    assert refused.value.response.json() == {"detail": "Method Not Allowed"}
    assert refused.value.response.headers["allow"] == "GET"
    assert emulator.stats()["requests"]["DELETE /v1/videos/{id}"] == 0
    assert not only_video(emulator)["deleted"]


def test_litellm_lists_only_with_a_provider_and_without_prompts(litellm, emulator):
    first = litellm.videos.create(prompt="First " + PROMPT, model="sora-2")
    second = litellm.videos.create(prompt="Second " + PROMPT, model="sora-2")

    with pytest.raises(openai.BadRequestError) as refused:
        litellm.videos.list()
    page = litellm.videos.list(extra_query={"custom_llm_provider": "openai"})
    by_header = litellm.videos.list(
        extra_headers={"custom-llm-provider": "openai"}, limit=1
    )
    after = litellm.videos.list(
        extra_query={"custom_llm_provider": "openai"}, after=by_header.data[0].id
    )

    error = refused.value.response.json()["error"]
    assert "LLM Provider NOT provided" in error["message"]
    assert (error["code"], error["param"]) == ("400", None)
    assert emulator.stats()["requests"]["GET /v1/videos"] == 3
    upstream_ids = [decode(video.id)["video_id"] for video in page.data]
    assert upstream_ids == [decode(second.id)["video_id"], decode(first.id)["video_id"]]
    assert [video.prompt for video in page.data] == [None, None]
    assert "deployment_id" not in decode(page.data[0].id)  # the short form
    assert [decode(v.id)["video_id"] for v in after.data] == upstream_ids[1:]


def test_litellm_content_ignores_variant_and_range(litellm, emulator, emulator_server):
    video = litellm.videos.create(prompt=PROMPT, model="sora-2")
    emulator.complete(video.id)
    mp4 = clip_of(emulator_server, video)

    with litellm.videos.with_streaming_response.download_content(
        video.id, variant="thumbnail"
    ) as thumbnail:
        thumbnail_body = thumbnail.read()
    with litellm.videos.with_streaming_response.download_content(
        video.id, extra_headers={"Range": "bytes=0-99"}
    ) as ranged:
        ranged_body = ranged.read()

    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "video/mp4"
    assert thumbnail_body == mp4
    assert ranged.status_code == 200
    assert "content-range" not in ranged.headers
    assert ranged_body == mp4
    assert ranged.headers["content-disposition"] == (
        f"attachment; filename=video_{video.id}.mp4"
    )


def test_litellm_passes_progress_only_for_openai_models(litellm, emulator):
    emulator.configure(render_seconds=4.0)
    sora = litellm.videos.create(prompt=PROMPT, model="sora-2")
    veo = litellm.videos.create(prompt=PROMPT, model="veo-3.1", size="1280x720")
    wait_until(lambda: all(v["progress"] >= 5 for v in emulator.videos()))

    sora_poll = litellm.videos.with_raw_response.retrieve(sora.id)
    veo_poll = litellm.videos.retrieve(veo.id)

    assert sora_poll.parse().status == "in_progress"
    assert sora_poll.parse().progress >= 5
    assert "openai-poll-after-ms" not in sora_poll.headers
    assert (veo_poll.status, veo_poll.progress) == ("in_progress", 0)
    assert decode(veo.id)["litellm:custom_llm_provider"] == "gemini"
    emulator.complete(veo.id)
    assert litellm.videos.retrieve(veo.id).progress == 100


def test_litellm_wraps_the_upstreams_errors(litellm, emulator):
    with pytest.raises(openai.BadRequestError) as refused:
        litellm.videos.create(prompt="A lighthouse [refuse]", model="sora-2")
    with pytest.raises(openai.BadRequestError) as sized:
        litellm.videos.create(prompt=PROMPT, model="sora-2", size="1792x1024")
    with pytest.raises(openai.BadRequestError) as imageless:
        litellm.videos.create(prompt=PROMPT, model="gen4_turbo", size="1280x720")

    outer = refused.value.response.json()["error"]
    prefix = "litellm.BadRequestError: OpenAIException - "
    assert outer["message"].startswith(prefix)
    assert outer["message"].endswith(LITELLM_SUFFIX.format("sora-2"))
    assert (outer["type"], outer["param"], outer["code"]) == (
        "invalid_request_error",
        None,
        "400",
    )
    inner = json.loads(
        outer["message"]
        .removeprefix(prefix)
        .removesuffix(LITELLM_SUFFIX.format("sora-2"))
    )
    assert inner["error"]["code"] == "moderation_blocked"
    assert refused.value.param is None
    assert '"param": "size"' in sized.value.message
    assert "RunwaymlException" in imageless.value.message
    assert '"param": "input_reference"' in imageless.value.message
    assert emulator.stats()["requests"]["POST /v1/videos"] == 3  # 4xx: no retry
    assert emulator.stats()["creates"] == 0


def test_litellm_answers_unknown_models_and_unsupported_operations_itself(
    litellm, emulator
):
    with pytest.raises(openai.BadRequestError) as unknown:
        litellm.videos.create(prompt=PROMPT, model="sora-3")
    veo = litellm.videos.create(prompt=PROMPT, model="veo-3.1", size="1280x720")
    emulator.complete(veo.id)
    with pytest.raises(openai.InternalServerError) as no_remix:
        litellm.videos.remix(veo.id, prompt="Again")

    error = unknown.value.response.json()["error"]
    assert error["message"].startswith("/videos: Invalid model name passed in")
    assert error["provider_specific_fields"] == {"error": error["message"]}
    assert "Video remix is not supported by Google Veo" in no_remix.value.message
    assert emulator.stats()["requests"]["POST /v1/videos/{id}/remix"] == 0


def test_litellm_retries_a_lost_create_itself_making_two_videos(litellm, emulator):
    emulator.inject_fault("/v1/videos", "drop", method="POST")

    response = litellm.videos.with_raw_response.create(prompt=PROMPT, model="sora-2")

    assert response.http_response.status_code == 200
    assert response.headers["x-litellm-attempted-retries"] == "1"
    assert emulator.stats()["creates"] == 2
    first, second = emulator.videos()
    assert decode(response.parse().id)["video_id"] == second["id"]
    assert first["prompt"] == second["prompt"] == PROMPT


def test_litellm_without_retries_answers_a_lost_create_as_a_500(litellm, emulator):
    emulator.inject_fault("/v1/videos", "drop", method="POST")

    with pytest.raises(openai.InternalServerError) as lost:
        litellm.videos.create(
            prompt=PROMPT,
            model="sora-2",
            extra_headers={"x-litellm-num-retries": "0"},
        )

    assert emulator.stats()["creates"] == 1
    assert lost.value.response.json() == {
        "error": {
            "message": "litellm.InternalServerError: InternalServerError:"
            " OpenAIException - Server disconnected\n\nLiteLLM: model group"
            " 'sora-2' failed with the error above. No fallback was attempted.",
            "type": "internal_server_error",
            "param": None,
            "code": "500",
        }
    }


@pytest.mark.parametrize(
    ("kind", "error_class", "name", "kind_of_error"),
    [
        ("429", openai.RateLimitError, "RateLimitError", "throttling_error"),
        ("500", openai.InternalServerError, "InternalServerError", None),
        ("503", openai.InternalServerError, "ServiceUnavailableError", None),
    ],
)
def test_litellm_keeps_a_faults_status_but_not_its_retry_after(
    litellm, emulator, kind, error_class, name, kind_of_error
):
    emulator.inject_fault("/v1/videos", kind, method="POST", retry_after=3)

    with pytest.raises(error_class) as refused:
        litellm.videos.create(
            prompt=PROMPT, model="sora-2", extra_headers={"x-litellm-num-retries": "0"}
        )

    error = refused.value.response.json()["error"]
    assert refused.value.status_code == int(kind)
    assert error["code"] == kind
    assert error["type"] == (kind_of_error or "internal_server_error")
    assert error["message"].startswith(f"litellm.{name}: {name}: OpenAIException - ")
    assert "retry-after" not in refused.value.response.headers
    assert emulator.stats()["creates"] == 0


def test_litellm_retries_a_server_error_and_answers_the_retry(litellm, emulator):
    emulator.inject_fault("/v1/videos", "500", method="POST")

    video = litellm.videos.create(prompt=PROMPT, model="sora-2")

    assert decode(video.id)["video_id"] == only_video(emulator)["id"]
    assert emulator.stats()["requests"]["POST /v1/videos"] == 2
    assert emulator.stats()["creates"] == 1


def test_litellm_checks_its_own_key(emulator):
    emulator.reset(profile="litellm")

    status, body = raw_get(emulator, "/v1/videos?custom_llm_provider=openai")

    assert status == 401
    assert body["error"]["type"] == "auth_error"
    assert body["error"]["code"] == "401"


# --- vLLM-Omni ------------------------------------------------------------------------------


@pytest.fixture
def vllm(emulator) -> openai.OpenAI:
    emulator.reset(profile="vllm-omni", render_seconds=1.0)
    return sdk(emulator)


def test_vllm_takes_any_size_and_whole_seconds_of_its_one_model(vllm, emulator):
    video = vllm.videos.create(prompt=PROMPT, size="640x360", seconds="7")

    assert re.fullmatch(r"video_gen_[0-9a-f]{32}", video.id)
    assert (video.model, video.size, video.seconds) == (WAN_T2V, "640x360", "7")
    with pytest.raises(openai.BadRequestError) as other_model:
        vllm.videos.create(prompt=PROMPT, model="sora-2")
    error = other_model.value.response.json()["error"]
    assert (error["type"], error["code"]) == ("BadRequestError", 400)
    assert "sora-2" in error["message"]
    with pytest.raises(openai.BadRequestError) as half_second:
        vllm.videos.create(prompt=PROMPT, seconds="2.5")
    assert half_second.value.response.json()["error"]["param"] == "seconds"
    with pytest.raises(openai.BadRequestError) as with_image:
        vllm.videos.create(prompt=PROMPT, size="64x64", input_reference=png(64, 64))
    assert with_image.value.response.json()["error"]["param"] == "input_reference"


def test_vllm_progress_is_0_until_done_and_there_is_no_poll_hint(vllm, emulator):
    emulator.configure(render_seconds=3.0)
    video = vllm.videos.create(prompt=PROMPT)
    wait_until(lambda: only_video(emulator)["progress"] >= 5)

    running = vllm.videos.with_raw_response.retrieve(video.id)
    emulator.complete(video.id)
    done = vllm.videos.retrieve(video.id)

    assert (running.parse().status, running.parse().progress) == ("in_progress", 0)
    assert "openai-poll-after-ms" not in running.headers
    assert (done.status, done.progress) == ("completed", 100)
    assert done.prompt == PROMPT


def test_vllm_answers_a_failed_jobs_retrieve_with_a_500_describing_it(vllm, emulator):
    video = vllm.videos.create(prompt="This one will [fail]")
    emulator.complete(video.id)

    with pytest.raises(openai.InternalServerError) as failed:
        vllm.videos.retrieve(video.id)

    body = failed.value.response.json()
    assert failed.value.status_code == 500
    assert (body["id"], body["status"]) == (video.id, "failed")
    assert body["error"]["code"] == 500
    assert body["error"]["message"]
    with pytest.raises(openai.UnprocessableEntityError):
        vllm.videos.download_content(video.id)


def test_vllm_content_only_the_video_once_completed(vllm, emulator, emulator_server):
    emulator.configure(render_seconds=3600)
    video = vllm.videos.create(prompt=PROMPT)

    with pytest.raises(openai.NotFoundError):
        vllm.videos.download_content(video.id)
    emulator.complete(video.id)
    with pytest.raises(openai.BadRequestError) as thumbnail:
        vllm.videos.download_content(video.id, variant="thumbnail")

    assert thumbnail.value.response.json()["error"]["code"] == 400
    assert vllm.videos.download_content(video.id).read() == clip_of(
        emulator_server, video
    )


def test_vllm_has_no_remix(vllm, emulator):
    video = vllm.videos.create(prompt=PROMPT)
    emulator.complete(video.id)

    with pytest.raises(openai.NotFoundError) as missing:
        vllm.videos.remix(video.id, prompt="Again")

    assert missing.value.response.json() == {"detail": "Not Found"}
    assert emulator.stats()["creates"] == 1


def test_vllm_delete_cancels_a_running_job_and_is_409_otherwise(vllm, emulator):
    emulator.configure(render_seconds=3600)
    running = vllm.videos.create(prompt=PROMPT)
    finished = vllm.videos.create(prompt="Another " + PROMPT)
    emulator.complete(finished.id)

    deleted = vllm.videos.delete(running.id)
    with pytest.raises(openai.ConflictError) as conflict:
        vllm.videos.delete(finished.id)

    assert (deleted.id, deleted.object, deleted.deleted) == (
        running.id,
        "video.deleted",
        True,
    )
    with pytest.raises(openai.NotFoundError):
        vllm.videos.retrieve(running.id)
    assert conflict.value.response.json()["error"]["code"] == 409
    assert vllm.videos.retrieve(finished.id).status == "completed"
    cancelled = emulator.videos()[0]
    assert (cancelled["status"], cancelled["error"]["code"]) == ("failed", "cancelled")


def test_vllm_lists_its_jobs_with_prompts(vllm, emulator):
    first = vllm.videos.create(prompt="First " + PROMPT)
    second = vllm.videos.create(prompt="Second [fail] " + PROMPT)
    emulator.complete(second.id)

    page = vllm.videos.list()

    assert [(v.id, v.prompt) for v in page.data] == [
        (second.id, second.prompt),
        (first.id, first.prompt),
    ]
    failed = page.data[0]
    assert (failed.status, failed.progress, failed.error.code) == ("failed", 0, 500)


# --- SGLang -------------------------------------------------------------------------------------


@pytest.fixture
def sglang(emulator) -> openai.OpenAI:
    emulator.reset(profile="sglang", render_seconds=1.0)
    return sdk(emulator)


def sglang_create(client: openai.OpenAI, prompt: str = PROMPT, **options: Any):
    return client.videos.create(
        prompt=prompt,
        model=WAN_TI2V,
        # SGLang's own size and length, beyond the SDK's OpenAI-only Literals.
        size="1280x704",  # type: ignore[arg-type]  # a Wan size, not OpenAI's
        seconds="5",  # type: ignore[arg-type]  # likewise a Wan length
        input_reference=png(1280, 704),
        **options,
    )


def test_sglang_multipart_creates_need_a_reference_image(sglang, emulator):
    with pytest.raises(openai.BadRequestError) as refused:
        sglang.videos.create(prompt=PROMPT, model=WAN_TI2V, size="1280x704")

    video = sglang_create(sglang)

    assert refused.value.response.json() == {
        "detail": "input_reference file is required"
    }
    assert re.fullmatch(r"[0-9a-f]{32}", video.id)
    assert (video.model, video.size, video.seconds) == (WAN_TI2V, "1280x704", "5")
    assert video.prompt is None  # SGLang's video object has none
    assert emulator.stats()["creates"] == 1


def test_sglang_seconds_must_be_an_integer(sglang, emulator):
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        sglang.videos.create(
            prompt=PROMPT, size="64x64", seconds="4.5", input_reference=png(64, 64)
        )

    (problem,) = refused.value.response.json()["detail"]
    assert problem["loc"] == ["body", "seconds"]
    assert problem["type"] == "int_parsing"
    odd = sglang.videos.create(
        prompt=PROMPT, size="96x64", seconds="3", input_reference=png(96, 64)
    )
    assert (odd.size, odd.seconds, odd.model) == ("96x64", "3", "sora-2")


def test_sglang_jobs_stay_queued_at_0_until_completed_at_100(sglang, emulator):
    emulator.configure(render_seconds=3.0)
    video = sglang_create(sglang)
    wait_until(lambda: only_video(emulator)["status"] == "in_progress")

    running = sglang.videos.with_raw_response.retrieve(video.id)
    emulator.complete(video.id)
    done = sglang.videos.retrieve(video.id)

    assert (running.parse().status, running.parse().progress) == ("queued", 0)
    assert "openai-poll-after-ms" not in running.headers
    assert (done.status, done.progress) == ("completed", 100)
    failed = sglang_create(sglang, prompt="This one will [fail]")
    emulator.complete(failed.id)
    assert sglang.videos.retrieve(failed.id).error.model_dump(exclude_unset=True) == {
        "message": "The video could not be generated. Try a different prompt."
    }


def test_sglang_lists_without_cursors(sglang, emulator):
    first, second = sglang_create(sglang), sglang_create(sglang, "Another")

    status, body = raw_get(
        emulator, "/v1/videos", Authorization=f"Bearer {TEST_API_KEY}"
    )
    page = sglang.videos.list(after=second.id)

    assert status == 200
    assert set(body) == {"data", "object"}
    assert [video["id"] for video in body["data"]] == [second.id, first.id]
    assert [video.id for video in page.data] == [first.id]
    assert sglang.videos.list(after="unknown").data == []


def test_sglang_delete_forgets_the_record_but_the_job_runs_on(sglang, emulator):
    emulator.configure(render_seconds=0.5)
    video = sglang_create(sglang)

    deleted = sglang.videos.with_raw_response.delete(video.id)

    assert deleted.http_response.json()["status"] == "deleted"
    assert deleted.http_response.json()["id"] == video.id
    with pytest.raises(openai.NotFoundError) as gone:
        sglang.videos.retrieve(video.id)
    assert gone.value.response.json() == {"detail": "Video not found"}
    wait_until(lambda: only_video(emulator)["status"] == "completed")
    assert only_video(emulator)["deleted"] is True


def test_sglang_content_remix_and_variants(sglang, emulator, emulator_server):
    emulator.configure(render_seconds=3600)
    video = sglang_create(sglang)

    with pytest.raises(openai.NotFoundError) as running:
        sglang.videos.download_content(video.id)
    emulator.complete(video.id)
    with pytest.raises(openai.BadRequestError) as thumbnail:
        sglang.videos.download_content(video.id, variant="thumbnail")
    with pytest.raises(openai.NotFoundError) as remix:
        sglang.videos.remix(video.id, prompt="Again")
    with sglang.videos.with_streaming_response.download_content(video.id) as content:
        body = content.read()

    assert running.value.response.json() == {
        "detail": "Generation is still in-progress"
    }
    assert thumbnail.value.response.json() == {
        "detail": "Unsupported video content variant: 'thumbnail'"
    }
    assert remix.value.response.json() == {"detail": "Not Found"}
    assert body == clip_of(emulator_server, video)
    assert content.headers["content-disposition"] == (
        f'attachment; filename="{video.id}.mp4"'
    )


# --- Triggers and faults under every profile ----------------------------------------------


PROFILE_MODELS = {
    "openai": {"model": "sora-2"},
    "litellm": {"model": "sora-2"},
    "vllm-omni": {"model": WAN_T2V},
    "sglang": {"model": WAN_TI2V, "size": "64x64", "input_reference": png(64, 64)},
}


@pytest.fixture(params=list(PROFILE_MODELS))
def profile(request, emulator) -> str:
    emulator.reset(profile=request.param, render_seconds=1.0)
    return request.param


def test_triggers_work_under_every_profile(profile, emulator):
    client = sdk(emulator)
    options = PROFILE_MODELS[profile]

    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create(prompt="A scene [refuse]", **options)
    video = client.videos.create(prompt="A scene [fail] [slow]", **options)
    flagged = client.moderations.create(input="A scene [flag]")

    # SGLang's {"detail": ...} is no OpenAI error: the SDK's message is then bare.
    assert "blocked by our moderation system" in refused.value.response.text
    assert flagged.results[0].flagged
    stored = only_video(emulator)
    assert stored["status"] == "queued"  # [slow]: 10 s instead of 1 s
    assert emulator.complete(video.id)["status"] == "failed"


def test_the_render_trigger_gives_each_video_its_own_render_time(profile, emulator):
    client = sdk(emulator)
    options = PROFILE_MODELS[profile]
    asked = {
        "A scene [render=0]": 0.0,
        "A scene [RENDER=63.25]": 63.25,
        "A scene [render=2] [slow]": 20.0,
        "A scene": 1.0,  # render_seconds
    }
    for prompt in asked:
        client.videos.create(prompt=prompt, **options)
    for bad in (
        "[render=abc]",
        "[render=-1]",
        "[render=90000]",
        "[render=1][render=2]",
    ):
        with pytest.raises(openai.BadRequestError) as refused:
            client.videos.create(prompt=f"A scene {bad}", **options)
        assert "render" in refused.value.response.text

    stored = emulator.videos(timing=True)
    assert [v["prompt"] for v in stored] == list(asked)  # the refused were not stored
    for video, seconds in zip(stored, asked.values(), strict=True):
        timing = video["timing"]
        assert timing["render_seconds"] == seconds
        assert timing["finishes_at"] == timing["created_at"] + seconds
        assert int(timing["created_at"]) == video["created_at"]
    assert stored[0]["status"] == "completed"
    assert stored[1]["status"] == "queued"
    assert "timing" not in emulator.videos()[0]


def test_faults_work_under_every_profile(profile, emulator):
    client = sdk(emulator)
    options = PROFILE_MODELS[profile]
    no_retry = {"x-litellm-num-retries": "0"}  # only LiteLLM reads it
    video = client.videos.create(prompt=PROMPT, **options)
    emulator.inject_fault("/v1/videos", "drop", method="POST")
    emulator.inject_fault("/v1/videos/*", "503", method="GET", retry_after=2)

    with pytest.raises((openai.APIConnectionError, openai.InternalServerError)):
        client.videos.create(prompt=PROMPT, extra_headers=no_retry, **options)
    with pytest.raises(openai.InternalServerError) as unavailable:
        client.videos.retrieve(video.id, extra_headers=no_retry)

    assert emulator.stats()["creates"] == 2
    assert unavailable.value.status_code == 503
    retry_after = unavailable.value.response.headers.get("retry-after")
    assert retry_after == (None if profile == "litellm" else "2")
    assert client.videos.retrieve(video.id).status in ("queued", "in_progress")
