"""Host profiles: presets, per-model overrides, and the form's validation from them."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from videos.forms import VideoForm
from videos.sora import profiles
from videos.tests.helpers import image_upload


def form_data(**overrides) -> dict:
    return {
        "prompt": "A city waking up",
        "form_token": str(uuid.uuid4()),
        **overrides,
    }


@pytest.mark.parametrize("preset", sorted(profiles.PRESETS))
def test_every_preset_offers_models_with_sizes_and_lengths(settings, preset):
    settings.SORA_HOST_PRESET = preset
    table = profiles.model_table()
    assert table
    for profile in table.values():
        assert profile.sizes and profile.seconds
        assert profile.reference_image in profiles.REFERENCE_IMAGE_CHOICES
    assert profiles.check_table() == []


def test_the_litellm_preset_says_what_the_gateway_cannot_do(settings):
    settings.SORA_HOST_PRESET = "litellm"
    assert profiles.host_name() == "LiteLLM"
    sora = profiles.profile_for("sora-2")
    assert (sora.remix, sora.progress) == (True, True)
    assert not (sora.delete or sora.list or sora.variants or sora.range)
    runway = profiles.profile_for("gen4_turbo")
    assert runway.reference_image == "required"
    assert runway.seconds == (5, 10)
    assert not runway.remix and not runway.progress
    veo = profiles.profile_for("veo-3.1")
    assert veo.seconds_for("1920x1080") == (8,)
    assert veo.seconds_for("1280x720") == (4, 6, 8)
    assert veo.seconds_for("1280x720", with_reference=True) == (8,)


def test_sora_models_overrides_model_by_model_and_null_removes(settings):
    settings.SORA_MODELS = {
        "sora-2": {"seconds": [4], "price_per_second": "0.12"},
        "sora-2-pro": None,
        "house-model": {"sizes": ["640x360"], "seconds": [2], "remix": False},
    }
    table = profiles.model_table()
    assert list(table) == ["sora-2", "house-model"]
    assert table["sora-2"].sizes == ("720x1280", "1280x720")  # kept from the preset
    assert table["sora-2"].seconds == (4,)
    assert table["sora-2"].cost(8) == Decimal("0.96")
    assert table["house-model"].remix is False
    assert table["house-model"].delete is True  # the preset host's default


def test_a_model_dropped_from_the_table_keeps_its_hosts_defaults(settings):
    settings.SORA_HOST_PRESET = "litellm"
    old = profiles.profile_for("sora-1-legacy")
    assert old.sizes == () and not old.delete and not old.remix


def test_the_host_name_is_a_setting(settings):
    assert profiles.host_name() == "OpenAI"
    settings.SORA_HOST_NAME = "Acme Video"
    assert profiles.host_name() == "Acme Video"


@pytest.mark.parametrize(
    ("models", "complaint"),
    [
        ({"sora-2": {"colour": True}}, "unknown keys colour"),
        ({"sora-2": {"sizes": ["big"]}}, "malformed"),
        ({"sora-2": {"reference_image": "sometimes"}}, "reference_image"),
        ({"sora-2": {"price_per_second": "-1"}}, "malformed"),
        ({"sora-2": None, "sora-2-pro": None}, "no model"),
        ({"sora-2": "yes"}, "object of capabilities"),
    ],
)
def test_a_malformed_table_is_refused_with_a_reason(settings, models, complaint):
    settings.SORA_MODELS = models
    with pytest.raises(ImproperlyConfigured, match=complaint):
        profiles.model_table()


def test_an_unknown_preset_is_refused(settings):
    settings.SORA_HOST_PRESET = "bananas"
    with pytest.raises(ImproperlyConfigured, match="openai, litellm"):
        profiles.model_table()


def test_the_system_check_refuses_a_bad_table(settings):
    settings.SORA_MODELS = {"new-model": {"sizes": ["640x360"]}}
    with pytest.raises(SystemCheckError, match="new-model"):
        call_command("check")


# --- the form reads the profiles -------------------------------------------------------


def test_a_required_reference_image_is_a_form_error(settings):
    settings.SORA_HOST_PRESET = "litellm"
    form = VideoForm(form_data(model="gen4_turbo", size="1280x720", seconds="5"))
    assert not form.is_valid()
    assert "animates a reference image" in form.errors["input_reference"][0]
    form = VideoForm(
        form_data(model="gen4_turbo", size="1280x720", seconds="5"),
        {"input_reference": image_upload(1280, 720)},
    )
    assert form.is_valid(), form.errors


def test_a_model_that_takes_no_image_refuses_one(settings):
    settings.SORA_HOST_PRESET = "vllm-omni"
    model = profiles.models()[0]
    form = VideoForm(
        form_data(model=model, size="1280x720", seconds="5"),
        {"input_reference": image_upload(1280, 720)},
    )
    assert not form.is_valid()
    assert "takes no reference image" in form.errors["input_reference"][0]


def test_lengths_that_depend_on_size_and_image(settings):
    settings.SORA_HOST_PRESET = "litellm"
    form = VideoForm(form_data(model="veo-3.1", size="1920x1080", seconds="4"))
    assert not form.is_valid()
    assert form.errors["seconds"] == [
        "veo-3.1 makes videos of 8 seconds at 1920x1080, not 4."
    ]
    form = VideoForm(
        form_data(model="veo-3.1", size="1280x720", seconds="6"),
        {"input_reference": image_upload(1280, 720)},
    )
    assert form.errors["seconds"] == [
        "veo-3.1 makes videos of 8 seconds with a reference image, not 6."
    ]
    assert VideoForm(
        form_data(model="veo-3.1", size="1280x720", seconds="6")
    ).is_valid()


@pytest.mark.django_db
def test_the_create_page_shows_the_price_and_the_models_description(
    settings, user_client
):
    page = user_client.get("/videos/new/").text
    assert 'about <strong>$<span id="cost-money">0.40</span>' in page
    assert "Sora 2: fast" in page
    settings.SORA_HOST_PRESET = "vllm-omni"
    page = user_client.get("/videos/new/").text
    assert 'id="cost-money-line" hidden' in page
    assert "Wan 2.2 text-to-video" in page


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ({"sizes": "720x1280"}, r"\.sizes must be a list"),
        ({"price_per_second": "abc"}, "'abc' is not a number of dollars"),
    ],
)
def test_common_mistakes_are_named_plainly(settings, entry, complaint):
    settings.SORA_MODELS = {"sora-2": entry}
    with pytest.raises(ImproperlyConfigured, match=complaint):
        profiles.model_table()
