"""What a person can do next instead of starting over: try a failed video again, remix
from the original prompt, keep a form that was refused for going too fast, and land
somewhere useful after reloading a page whose address was a form's action."""

import uuid

import pytest

from videos.models import Video
from videos.tests.helpers import image_upload

pytestmark = pytest.mark.django_db

PROMPT = "A paper boat drifting down a rainy gutter, close up, evening light"


def failed(make_video, user, **fields) -> Video:
    return make_video(
        user,
        status=Video.Status.FAILED,
        error_code="generation_failed",
        error_message="The video could not be generated.",
        prompt=PROMPT,
        **fields,
    )


def test_a_failed_video_offers_try_again_and_copy_prompt(user_client, user, make_video):
    video = failed(make_video, user)
    text = user_client.get(f"/videos/{video.pk}/").text
    assert f'href="/videos/new/?from={video.pk}"' in text
    assert f'data-copy-text="{PROMPT}"' in text
    assert "js/copy-text.js" in text


def test_try_again_fills_the_form_with_the_same_prompt_and_settings(
    user_client, user, make_video
):
    video = failed(make_video, user, model="sora-2-pro", size="1024x1792", seconds=8)
    response = user_client.get(f"/videos/new/?from={video.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form["prompt"].value() == PROMPT
    assert form["model"].value() == "sora-2-pro"
    assert form["size"].value() == "1024x1792"
    assert form["seconds"].value() == 8
    assert form["form_token"].value()  # a new submission, not a replay of the old one
    assert f"{PROMPT[:40]}" in response.text
    assert "Filled in from" in response.text


def test_try_again_says_the_reference_image_must_be_chosen_again(
    user_client, user, make_video
):
    video = failed(make_video, user, input_reference="references/abc.png")
    text = user_client.get(f"/videos/new/?from={video.pk}").text
    assert "Its reference image is not carried over: choose it again." in text


@pytest.mark.parametrize("source", ["someone-else", "not-a-uuid", str(uuid.uuid4())])
def test_try_again_from_anything_but_my_own_video_is_a_blank_form(
    user_client, other_user, make_video, source
):
    theirs = failed(make_video, other_user)
    video_id = str(theirs.pk) if source == "someone-else" else source
    response = user_client.get(f"/videos/new/?from={video_id}")
    assert response.status_code == 200
    assert not response.context["form"]["prompt"].value()
    assert PROMPT not in response.text


def test_remix_starts_from_the_original_prompt(user_client, user, completed_video):
    source = completed_video(user, prompt=PROMPT)
    response = user_client.get(f"/videos/{source.pk}/")
    assert response.context["remix_form"]["prompt"].value() == PROMPT


def test_a_remix_says_what_it_is_a_remix_of(user_client, user, completed_video):
    source = completed_video(user, prompt=PROMPT)
    response = user_client.post(
        f"/videos/{source.pk}/remix/",
        {"prompt": PROMPT + ", now at night", "form_token": str(uuid.uuid4())},
    )
    remix = Video.objects.get(remixed_from=source)
    text = user_client.get(response["Location"]).text
    assert remix.prompt.endswith("now at night")
    assert "Remix of" in text
    assert f'<a href="/videos/{source.pk}/">“{source.short_prompt}”</a>' in text


def test_a_remix_over_the_limit_keeps_the_typed_prompt(
    user_client, user, completed_video, settings, fresh_create_window
):
    settings.RATE_LIMIT_CREATE = "1/m"
    source = completed_video(user, prompt=PROMPT)
    fresh_create_window()
    first = user_client.post(
        f"/videos/{source.pk}/remix/",
        {"prompt": "first change", "form_token": str(uuid.uuid4())},
    )
    assert first.status_code == 302
    response = user_client.post(
        f"/videos/{source.pk}/remix/",
        {"prompt": "second change, kept", "form_token": str(uuid.uuid4())},
    )
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "second change, kept</textarea>" in response.text
    assert "Please send this again in" in response.text
    assert Video.objects.filter(remixed_from=source).count() == 1


def test_a_create_over_the_limit_keeps_settings_and_says_to_choose_the_image_again(
    user_client, settings, emulator, fresh_create_window
):
    settings.RATE_LIMIT_CREATE = "1/m"
    fresh_create_window()
    data = {
        "prompt": PROMPT,
        "model": "sora-2",
        "size": "720x1280",
        "seconds": "8",
    }
    first = user_client.post("/videos/new/", {**data, "form_token": str(uuid.uuid4())})
    assert first.status_code == 302
    response = user_client.post(
        "/videos/new/",
        {
            **data,
            "form_token": str(uuid.uuid4()),
            "input_reference": image_upload(720, 1280),
        },
    )
    assert response.status_code == 429
    form = response.context["form"]
    assert (form["size"].value(), form["seconds"].value()) == ("720x1280", "8")
    assert Video.objects.count() == 1


@pytest.mark.parametrize("action", ["remix", "delete"])
def test_reloading_a_forms_address_leads_to_the_video(
    user_client, user, make_video, action
):
    video = make_video(user, status=Video.Status.COMPLETED, openai_video_id="v_1")
    response = user_client.get(f"/videos/{video.pk}/{action}/", follow=True)
    assert response.redirect_chain == [(f"/videos/{video.pk}/", 302)]
    assert response.status_code == 200
    assert Video.objects.filter(pk=video.pk).exists()


def test_delete_confirmation_of_a_refunded_video_promises_nothing_wrong(
    user_client, user, make_video
):
    video = failed(make_video, user)
    text = user_client.get(f"/videos/{video.pk}/").text
    assert "not returned" not in text
    assert "Its seconds were returned to your daily quota." in text


def test_delete_confirmation_of_a_charged_video_names_its_seconds(
    user_client, user, make_video
):
    video = make_video(user, status=Video.Status.COMPLETED, seconds=8)
    text = user_client.get(f"/videos/{video.pk}/").text
    assert "Its 8 seconds of quota are not returned." in text
