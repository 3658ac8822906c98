"""The create form as the server renders it: named sizes, the model's description, the
quota reflected on the button before sending (right without the script), and the
wording the page's script shares with the server's own checks."""

import json
import re
import uuid

import pytest

from videos import forms
from videos.forms import VideoForm, size_label
from videos.models import Video
from videos.tests.helpers import image_upload

pytestmark = pytest.mark.django_db

URL = "/videos/new/"
BUTTON = re.compile(r"<button type=\"submit\" id=\"generate-button\"[^>]*>")


def button_tag(html: str) -> str:
    match = BUTTON.search(html)
    assert match, "no Generate video button"
    return match.group(0)


def quota_reason(html: str) -> str:
    match = re.search(
        r'<p class="submit-reason" id="quota-reason"[^>]*>(.*?)</p>', html
    )
    assert match, "no quota reason next to the button"
    return match.group(1)


def leave_seconds(user, make_video, *, quota: int, used: int) -> None:
    user.daily_seconds_quota = quota
    user.save()
    if used:
        make_video(user, seconds=used)


@pytest.mark.parametrize(
    ("size", "label"),
    [
        ("720x1280", "Portrait 720×1280"),
        ("1280x720", "Landscape 1280×720"),
        ("1024x1024", "Square 1024×1024"),
        ("1792x1024", "Landscape 1792×1024"),
    ],
)
def test_size_label_names_the_shape(size, label):
    assert size_label(size) == label


def test_sizes_are_named_and_keep_raw_values(user_client):
    html = user_client.get(URL).text
    assert '<option value="720x1280">Portrait 720×1280</option>' in html
    assert '<option value="1280x720">Landscape 1280×720</option>' in html
    assert '<option value="1792x1024">Landscape 1792×1024</option>' in html
    assert "720 × 1280" not in html


def test_the_chosen_model_is_described_under_its_field(user_client):
    html = user_client.get(URL).text
    assert (
        '<div class="helptext" id="id_model_helptext">'
        "Sora 2: fast, good for drafts and social clips.</div>"
    ) in html
    assert re.search(r'<select name="model" aria-describedby="id_model_helptext"', html)


def test_a_posted_model_is_the_one_described(user_client):
    response = user_client.post(URL, {"prompt": "", "model": "sora-2-pro"})
    assert response.status_code == 200
    assert (
        'id="id_model_helptext">Sora 2 Pro: slower, higher fidelity, larger sizes.'
        in response.text
    )


def test_every_models_description_reaches_the_script(user_client):
    response = user_client.get(URL)
    descriptions = json.loads(
        re.search(
            r'<script id="model-descriptions" type="application/json">(.*?)</script>',
            response.text,
        ).group(1)
    )
    assert descriptions == {
        "sora-2": "Sora 2: fast, good for drafts and social clips.",
        "sora-2-pro": "Sora 2 Pro: slower, higher fidelity, larger sizes.",
    }


def test_a_model_without_description_says_where_it_runs(settings):
    settings.SORA_MODELS = {"sora-2": {"description": ""}}
    form = VideoForm()
    assert form.fields["model"].help_text == "sora-2, served by OpenAI."
    assert form.model_descriptions()["sora-2"] == "sora-2, served by OpenAI."


def test_with_seconds_left_the_button_is_enabled(user_client, user, make_video):
    leave_seconds(user, make_video, quota=40, used=8)
    html = user_client.get(URL).text
    assert "disabled" not in button_tag(html)
    assert quota_reason(html) == ""
    assert 'id="seconds-left">32</span> of 40 seconds' in html


def test_with_nothing_left_the_button_is_disabled_and_says_why(
    user_client, user, make_video
):
    leave_seconds(user, make_video, quota=12, used=12)
    html = user_client.get(URL).text
    assert " disabled" in button_tag(html)
    assert 'aria-describedby="quota-reason"' in button_tag(html)
    assert quota_reason(html) == (
        "You have used all 12 seconds of today's quota. "
        "Your quota starts over at midnight (UTC)."
    )


def test_a_length_longer_than_what_is_left_disables_the_button(
    user_client, user, make_video
):
    """A re-rendered form keeps the chosen 8 seconds: 4 are left, so it cannot go."""
    leave_seconds(user, make_video, quota=12, used=8)
    response = user_client.post(
        URL,
        {
            "prompt": "",
            "model": "sora-2",
            "size": "1280x720",
            "seconds": "8",
            "form_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert " disabled" in button_tag(response.text)
    assert quota_reason(response.text) == (
        "This 8-second video needs 8 seconds; you have 4 left today. "
        "Your quota starts over at midnight (UTC)."
    )
    assert not Video.objects.filter(prompt="").exists()


def test_the_reason_and_the_script_share_the_forms_wording(
    user_client, user, make_video
):
    leave_seconds(user, make_video, quota=12, used=12)
    html = user_client.get(URL).text
    messages = json.loads(
        re.search(
            r'<script id="form-messages" type="application/json">(.*?)</script>', html
        ).group(1)
    )
    assert messages["quota_used_up"] == forms.QUOTA_USED_UP
    assert messages["reference_wrong_size"] == forms.REFERENCE_WRONG_SIZE
    expected = (
        forms.QUOTA_USED_UP.format(quota=12) + " " + messages["quota_starts_over"]
    )
    assert quota_reason(html) == expected
    assert 'data-seconds-left="0" data-quota="12"' in html


def test_the_quota_starts_over_in_the_sites_time_zone(
    user_client, user, make_video, settings
):
    settings.TIME_ZONE = "Europe/Paris"
    leave_seconds(user, make_video, quota=4, used=4)
    html = user_client.get(URL).text
    assert "Your quota starts over at midnight (Europe/Paris)." in quota_reason(html)


def test_the_server_still_refuses_a_video_over_the_quota(
    user_client, user, make_video, emulator
):
    """The disabled button is a courtesy: a hand-made POST meets the server's check."""
    leave_seconds(user, make_video, quota=12, used=8)
    response = user_client.post(
        URL,
        {
            "prompt": "A slow pan over snowy pines",
            "model": "sora-2",
            "size": "1280x720",
            "seconds": "8",
            "form_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert "only 4 of your 12 seconds for today are left" in response.text
    assert Video.objects.filter(user=user).count() == 1
    assert emulator.stats()["creates"] == 0


def test_the_cost_panel_comes_before_the_button(user_client):
    html = user_client.get(URL).text
    assert html.index('id="cost-heading"') < html.index('id="generate-button"')
    assert html.index('id="generate-button"') < html.rindex("</form>")


def test_field_errors_are_tied_to_their_controls(user_client):
    response = user_client.post(
        URL,
        {
            "prompt": "",
            "model": "sora-2",
            "size": "1280x720",
            "seconds": "4",
            "input_reference": image_upload(640, 480),
        },
    )
    html = response.text
    assert 'aria-describedby="id_prompt_helptext id_prompt_error"' in html
    assert (
        'aria-describedby="id_input_reference_helptext id_input_reference_error"'
        in (html)
    )
    assert '<ul class="errorlist" id="id_input_reference_error">' in html


def test_the_dimension_message_is_the_one_the_page_repeats(user_client):
    response = user_client.post(
        URL,
        {
            "prompt": "A harbour at dawn",
            "model": "sora-2",
            "size": "720x1280",
            "seconds": "4",
            "input_reference": image_upload(640, 480),
        },
    )
    message = forms.REFERENCE_WRONG_SIZE.format(
        width=640, height=480, expected_width=720, expected_height=1280
    )
    assert message == (
        "The reference image is 640×480 pixels; it must be exactly 720×1280, "
        "the size of the video."
    )
    assert message in response.text


def test_the_prompt_counter_starts_from_the_prompt_shown(user_client):
    response = user_client.post(URL, {"prompt": "A red kite", "model": "sora-9"})
    assert '<span id="prompt-count-value">10</span> / 4000 characters' in response.text


def test_every_visible_control_has_a_label(user_client):
    html = user_client.get(URL).text
    for name in ("prompt", "model", "size", "seconds", "input_reference"):
        assert f'<label for="id_{name}">' in html, name
