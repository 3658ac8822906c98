"""In Chromium: a failed video is not a dead end, and a refused form keeps its words.

Try again fills the create form from the failed video; "Copy prompt" puts the prompt
on the clipboard; a create refused for going too fast comes back with the typed
prompt and settings and a message saying when to send it again.
"""

import re

import pytest
from playwright.sync_api import expect

from videos.models import Video

pytestmark = pytest.mark.browser
pytest_plugins = ["videos.tests.browser"]

PROMPT = "A paper boat drifting down a rainy gutter, close up, evening light"


def logged_in(pages, user, viewport=None):
    page = pages.new(viewport)
    pages.log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/videos/$"))
    return page


def test_try_again_and_copy_prompt_on_a_failed_video(pages, user, make_video):
    video = make_video(
        user,
        status=Video.Status.FAILED,
        error_code="generation_failed",
        error_message="The video could not be generated.",
        prompt=PROMPT,
        size="720x1280",
        seconds=8,
    )
    page = logged_in(pages, user)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(video.get_absolute_url())

    copy = page.get_by_role("button", name="Copy prompt")
    copy.click()
    expect(page.get_by_role("button", name="Prompt copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == PROMPT

    page.get_by_role("link", name="Try again").click()
    expect(page).to_have_url(re.compile(rf"/videos/new/\?from={video.pk}$"))
    expect(page.get_by_label("Prompt")).to_have_value(PROMPT)
    expect(page.get_by_label("Size")).to_have_value("720x1280")
    expect(page.get_by_label("Length")).to_have_value("8")
    expect(page.get_by_text("Filled in from")).to_be_visible()


def test_a_create_refused_for_going_too_fast_keeps_what_was_typed(
    pages, user, emulator, settings, fresh_create_window
):
    settings.RATE_LIMIT_CREATE = "1/m"
    page = logged_in(pages, user, pages.phone)
    fresh_create_window(seconds_needed=40)
    for attempt, prompt in enumerate(["The first one", PROMPT]):
        page.goto("/videos/new/")
        page.get_by_label("Prompt").fill(prompt)
        page.get_by_label("Size").select_option("720x1280")
        page.get_by_label("Length").select_option("8")
        if attempt:
            # Chromium logs the 429 document as a failed resource.
            pages.allow(r"/videos/new/: Failed to load resource: .* status of 429")
        page.get_by_role("button", name="Generate video").click()
        if not attempt:
            expect(page).to_have_url(re.compile(r"/videos/[0-9a-f-]{36}/$"))

    expect(page).to_have_url(re.compile(r"/videos/new/$"))
    expect(page.get_by_text("Please send this again in")).to_be_visible()
    expect(page.get_by_label("Prompt")).to_have_value(PROMPT)
    expect(page.get_by_label("Size")).to_have_value("720x1280")
    expect(page.get_by_label("Length")).to_have_value("8")
    assert Video.objects.filter(user=user).count() == 1
