"""The create form in Chromium: the quota on the button, the prompt's counter, the
reference preview and its size check, one submission per press, and the cost before the
button on a phone. Every page must log no console error or CSP violation."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Request, expect

from videos import forms
from videos.models import Video

pytest_plugins = ["videos.tests.browser"]
pytestmark = pytest.mark.browser

DETAIL_URL = re.compile(r"/videos/[0-9a-f-]{36}/$")
STARTS_OVER = "Your quota starts over at midnight (UTC)."


def png(width: int, height: int) -> dict:
    """A PNG of this size, as Playwright's set_input_files takes a file."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, format="PNG")
    return {"name": "ref.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


@pytest.fixture
def form_page(pages, user):
    """The create form, logged in as `user`, at desktop width unless asked otherwise."""

    def open_form(viewport: dict | None = None):
        page = pages.new(viewport)
        pages.log_in(page, user.email)
        page.goto("/videos/new/")
        return page

    return open_form


def leave_seconds(user, make_video, *, quota: int, used: int) -> None:
    user.daily_seconds_quota = quota
    user.save()
    make_video(user, seconds=used)


def test_with_no_seconds_left_the_button_is_disabled_and_says_why(
    form_page, user, make_video
):
    leave_seconds(user, make_video, quota=8, used=8)
    page = form_page()
    button = page.get_by_role("button", name="Generate video")
    reason = f"You have used all 8 seconds of today's quota. {STARTS_OVER}"
    expect(button).to_be_disabled()
    expect(page.locator("#quota-reason")).to_have_text(reason)
    expect(button).to_have_accessible_description(reason)
    expect(page.locator("#seconds-left")).to_have_text("0")
    # No length fits in nothing: the button stays disabled whatever is chosen.
    page.get_by_label("Length").select_option("4")
    expect(button).to_be_disabled()


def test_the_button_follows_the_chosen_length(form_page, user, make_video):
    leave_seconds(user, make_video, quota=12, used=8)
    page = form_page()
    button = page.get_by_role("button", name="Generate video")
    reason = page.locator("#quota-reason")
    expect(button).to_be_enabled()
    expect(reason).to_have_text("")

    page.get_by_label("Length").select_option("8")
    expect(button).to_be_disabled()
    expected = forms.QUOTA_TOO_SHORT.format(seconds=8, left=4) + " " + STARTS_OVER
    assert expected == (
        "This 8-second video needs 8 seconds; you have 4 left today. " + STARTS_OVER
    )
    expect(reason).to_have_text(expected)
    expect(page.locator("#cost-seconds")).to_have_text("8")

    page.get_by_label("Length").select_option("12")
    expect(reason).to_contain_text("This 12-second video needs 12 seconds")

    page.get_by_label("Length").select_option("4")
    expect(button).to_be_enabled()
    expect(reason).to_have_text("")


def test_the_model_description_follows_the_model(form_page):
    page = form_page()
    model = page.get_by_label("Model")
    expect(model).to_have_accessible_description(
        "Sora 2: fast, good for drafts and social clips."
    )
    model.select_option("sora-2-pro")
    expect(page.locator("#id_model_helptext")).to_have_text(
        "Sora 2 Pro: slower, higher fidelity, larger sizes."
    )
    expect(page.get_by_label("Size").locator("option[value='1792x1024']")).to_have_text(
        "Landscape 1792×1024"
    )


def test_the_prompt_counts_its_characters(form_page):
    page = form_page()
    prompt = page.get_by_label("Prompt")
    counter = page.locator("#prompt-count")
    status = page.locator("#prompt-count-status")
    expect(counter).to_be_visible()
    expect(counter).to_have_text("0 / 4000 characters")
    prompt.fill("A lighthouse at dusk, slow pan")
    expect(counter).to_have_text("30 / 4000 characters")
    expect(prompt).to_have_accessible_description(re.compile(r"30 / 4000 characters"))
    # Far from the limit nothing is announced; near it, once per hundred characters.
    expect(status).to_have_text("")
    expect(status).to_have_attribute("aria-live", "polite")
    prompt.fill("x" * 3650)
    expect(counter).to_have_text("3650 / 4000 characters")
    expect(counter).to_have_class(re.compile(r"char-count-near"))
    expect(status).to_have_text("350 characters left of 4000.")
    prompt.press("End")
    prompt.press_sequentially("yy")
    expect(counter).to_have_text("3652 / 4000 characters")
    expect(status).to_have_text("350 characters left of 4000.")
    prompt.fill("x" * 4000)
    expect(status).to_have_text("Character limit reached: 4000.")
    prompt.fill("short again")
    expect(status).to_have_text("")
    expect(counter).not_to_have_class(re.compile(r"char-count-near"))


def test_the_reference_image_is_previewed_and_its_size_checked(form_page):
    page = form_page()
    page.get_by_label("Size").select_option("1280x720")
    upload = page.locator("#id_input_reference")
    check = page.locator("#reference-check")
    preview = page.locator("#reference-preview-image")

    upload.set_input_files(png(640, 480))
    wrong = (
        "The reference image is 640×480 pixels; it must be exactly 1280×720, "
        "the size of the video."
    )
    expect(check).to_have_text(wrong)
    expect(check).to_be_visible()
    expect(preview).to_be_visible()
    assert preview.evaluate("image => image.naturalWidth") == 640
    expect(page.locator("#reference-preview-caption")).to_have_text("640×480 pixels")
    expect(upload).to_have_attribute("aria-invalid", "true")
    expect(upload).to_have_accessible_description(re.compile(re.escape(wrong)))

    upload.set_input_files(png(1280, 720))
    expect(page.locator("#reference-preview-caption")).to_have_text("1280×720 pixels")
    expect(check).to_be_hidden()
    assert upload.get_attribute("aria-invalid") is None

    # The chosen size changes: the same image no longer fits, and the page says so.
    page.get_by_label("Size").select_option("720x1280")
    expect(check).to_have_text(
        "The reference image is 1280×720 pixels; it must be exactly 720×1280, "
        "the size of the video."
    )


def test_the_server_says_what_the_page_said_about_the_size(form_page, emulator):
    page = form_page()
    page.get_by_label("Prompt").fill("A kite over dunes")
    page.get_by_label("Size").select_option("720x1280")
    page.get_by_label("Length").select_option("4")
    page.locator("#id_input_reference").set_input_files(png(640, 480))
    check = page.locator("#reference-check")
    expect(check).to_contain_text("640×480")  # read in the page, so not at once
    said = check.inner_text()
    page.get_by_role("button", name="Generate video").click()
    expect(page).to_have_url(re.compile(r"/videos/new/$"))
    expect(page.locator("#id_input_reference_error")).to_have_text(said)
    assert not Video.objects.exists()


def test_a_press_disables_the_button_and_says_submitting(
    form_page, user, emulator
) -> None:
    page = form_page()
    posts: list[str] = []

    def note_post(request: Request) -> None:
        if request.method == "POST":
            posts.append(request.url)

    page.on("request", note_post)
    page.get_by_label("Prompt").fill("A paper boat on a rainy street")
    page.get_by_label("Size").select_option("720x1280")
    page.get_by_label("Length").select_option("4")
    button = page.get_by_role("button", name="Generate video")
    # Two presses as fast as a hand can: the second meets a disabled button.
    states = button.evaluate(
        """button => {
          button.click();
          const after = [button.disabled, button.textContent];
          button.click();
          return after;
        }"""
    )
    assert states == [True, "Submitting…"]
    expect(page).to_have_url(DETAIL_URL)
    assert len(posts) == 1, posts
    assert Video.objects.filter(user=user).count() == 1


def test_a_second_press_while_the_first_is_on_its_way_sends_nothing(
    form_page, user, emulator
):
    """The first POST is held in flight; a real second click must not send another."""
    page = form_page()
    held = []

    def hold_posts(route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route("**/videos/new/", hold_posts)
    page.get_by_label("Prompt").fill("A red kite over green hills")
    button = page.locator("#generate-button")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(*middle)
    page.wait_for_timeout(200)
    page.mouse.click(*middle)
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    expect(page).to_have_url(DETAIL_URL)
    assert Video.objects.filter(user=user).count() == 1


def test_a_page_shown_again_from_the_cache_gets_its_button_back(form_page):
    page = form_page()
    # Keep this page (a listener after the form's own cancels the navigation), then
    # tell it it was restored from the back/forward cache, as Chromium would.
    page.evaluate(
        "document.getElementById('video-form')"
        ".addEventListener('submit', e => e.preventDefault())"
    )
    page.get_by_role("button", name="Generate video").click()
    submitting = page.get_by_role("button", name="Submitting…")
    expect(submitting).to_be_disabled()
    page.evaluate(
        "window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))"
    )
    expect(page.get_by_role("button", name="Generate video")).to_be_enabled()


def test_on_a_phone_the_cost_comes_before_the_button(form_page, pages):
    page = form_page(pages.phone)
    cost = page.get_by_role("complementary", name="Cost").bounding_box()
    button = page.get_by_role("button", name="Generate video").bounding_box()
    fields = page.locator(".create-fields").bounding_box()
    assert fields["y"] + fields["height"] <= cost["y"]
    assert cost["y"] + cost["height"] <= button["y"], (cost, button)
    assert cost["width"] <= pages.phone["width"]


def test_on_a_desktop_the_cost_stands_beside_the_fields(form_page):
    page = form_page()
    cost = page.get_by_role("complementary", name="Cost").bounding_box()
    fields = page.locator(".create-fields").bounding_box()
    button = page.get_by_role("button", name="Generate video").bounding_box()
    assert cost["x"] >= fields["x"] + fields["width"]
    assert abs(cost["y"] - fields["y"]) < 2
    assert button["y"] >= fields["y"] + fields["height"]


def test_every_control_has_a_visible_label(form_page):
    page = form_page()
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '#video-form input:not([type=hidden]), #video-form select, #video-form textarea'
            )).filter(control => !Array.from(control.labels).some(
              label => label.checkVisibility() && label.textContent.trim()
            )).map(control => control.name)"""
    )
    assert unlabelled == []
