"""One capability table (preset + `SORA_MODELS`) drives the form, its validation and the emulator."""

import uuid

import pytest

from videos.forms import VideoForm
from videos.models import Video

GATEWAY_MODELS = {
    "sora-3-preview": {"sizes": ["1920x1080", "1080x1920"], "seconds": [5, 10, 20]},
}


@pytest.fixture
def gateway(settings, emulator):
    # Only the gateway's model: the preset's own are removed with null.
    settings.SORA_MODELS = {"sora-2": None, "sora-2-pro": None, **GATEWAY_MODELS}
    emulator.configure(models=GATEWAY_MODELS)
    return emulator


def data(**overrides) -> dict:
    return {
        "prompt": "A city waking up",
        "model": "sora-3-preview",
        "size": "1920x1080",
        "seconds": "10",
        "form_token": str(uuid.uuid4()),
        **overrides,
    }


def test_choices_come_from_the_table(gateway):
    form = VideoForm()
    assert [value for value, _ in form.fields["model"].choices] == ["sora-3-preview"]
    assert [value for value, _ in form.fields["size"].choices] == [
        "1920x1080",
        "1080x1920",
    ]
    assert [value for value, _ in form.fields["seconds"].choices] == [5, 10, 20]


def test_validation_follows_the_table(gateway):
    assert VideoForm(data()).is_valid()
    form = VideoForm(data(seconds="4"))
    assert not form.is_valid() and "seconds" in form.errors
    form = VideoForm(data(model="sora-2"))
    assert not form.is_valid() and "model" in form.errors


@pytest.mark.django_db
def test_a_new_model_and_duration_work_end_to_end(gateway, user_client, user):
    response = user_client.post("/videos/new/", data(seconds="20"))
    video = Video.objects.get(user=user)
    assert response.status_code == 302
    assert (video.model, video.size, video.seconds) == (
        "sora-3-preview",
        "1920x1080",
        20,
    )
    assert video.status == Video.Status.QUEUED


@pytest.mark.django_db
def test_the_page_offers_the_table_to_the_script(gateway, user_client):
    text = user_client.get("/videos/new/").text
    assert 'id="model-capabilities"' in text
    assert '"sora-3-preview": {"sizes": ["1920x1080", "1080x1920"]' in text
