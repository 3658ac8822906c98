"""What a person does in a real browser: sign up, make a video, watch it, keep it, leave.

Chromium drives the live server; the poller runs as its own process against the same
database and media folder, and the Sora emulator plays OpenAI. Every page visited must
log no console error and no CSP violation (the `pages` fixture checks).
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import Response, expect

from accounts.tests.fixtures import PASSWORD
from accounts.tests.signup import confirmation_path
from videos.emulator.triggers import FAILURE_MESSAGE
from videos.models import Video
from videos.tests.helpers import wait_until

pytest_plugins = ["videos.tests.browser"]
pytestmark = pytest.mark.browser

DETAIL_URL = re.compile(r"/videos/[0-9a-f-]{36}/$")

# Samples the status panel every 100 ms: the page replaces the panel's HTML when the
# status changes, so each sample looks the elements up again.
RECORD_STATUS = """
() => {
  window.__samples = [];
  window.setInterval(function () {
    var bar = document.querySelector("#status-panel progress");
    var badge = document.querySelector("#status-panel .badge");
    window.__samples.push([badge ? badge.textContent : null, bar ? bar.value : null]);
  }, 100);
}
"""

PLAY_MUTED = """
async () => {
  const video = document.querySelector("video.player");
  video.muted = true;
  await video.play();
}
"""

SEEK_TO_2 = """
() => new Promise((resolve) => {
  const video = document.querySelector("video.player");
  video.pause();
  video.addEventListener("seeked", () => resolve(video.currentTime), { once: true });
  video.currentTime = 2;
})
"""


def create_video(page, prompt: str) -> None:
    page.goto("/videos/new/")
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_label("Size").select_option("720x1280")
    page.get_by_label("Length").select_option("4")
    page.get_by_role("button", name="Generate video").click()
    expect(page).to_have_url(DETAIL_URL)


@pytest.mark.timeout(90)
def test_sign_up_make_watch_download_remix_delete_and_log_out(
    pages, emulator, poller
) -> None:
    emulator.configure(render_seconds=3.5)
    page = pages.new()
    content_statuses: list[int] = []

    def note_content_status(response: Response) -> None:
        if "/content/" in response.url:
            content_statuses.append(response.status)

    page.on("response", note_content_status)

    page.goto("/")
    page.get_by_role("link", name="Create a free account").click()
    page.get_by_label("Email:").fill("newcomer@example.com")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    # Nothing is spent before the address is confirmed: the link in the email.
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    [message] = mail.outbox
    page.goto(confirmation_path(message))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/videos/$"))
    expect(page.get_by_text("You have no videos yet.")).to_be_visible()

    page.get_by_role("link", name="Make your first video").click()
    page.get_by_label("Prompt").fill("A paper boat drifting down a rainy street")
    page.get_by_label("Size").select_option("720x1280")
    page.get_by_label("Length").select_option("4")
    expect(page.locator("#cost-seconds")).to_have_text("4")
    page.get_by_role("button", name="Generate video").click()
    expect(page).to_have_url(DETAIL_URL)
    video_url = page.url

    # Live progress: the bar moves and the player replaces it, all without a reload.
    page.evaluate("window.__marker = 1")
    page.evaluate(RECORD_STATUS)
    player = page.locator("video.player")
    expect(player).to_be_visible(timeout=30_000)
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    assert page.url == video_url
    samples = page.evaluate("window.__samples")
    labels = {label for label, _ in samples if label}
    values = {value for _, value in samples if value is not None}
    assert len(labels) >= 2 or len(values) >= 2, samples
    expect(page.locator("#status-panel .badge")).to_have_text("Completed")

    # The player: metadata, playback, and a seek (served by Range requests).
    page.wait_for_function(
        "() => document.querySelector('video.player').readyState >= 1"
    )
    duration = page.evaluate("document.querySelector('video.player').duration")
    assert duration == pytest.approx(4, abs=0.25)
    page.evaluate(PLAY_MUTED)
    page.wait_for_function(
        "() => document.querySelector('video.player').currentTime > 0.3"
    )
    assert page.evaluate(SEEK_TO_2) == pytest.approx(2, abs=0.1)
    assert 206 in content_statuses, content_statuses

    # The poller archives it into the media folder the live server reads: from then
    # on the bytes come from our copy (it has an ETag; the upstream relay does not).
    video = Video.objects.get(pk=video_url.rstrip("/").rsplit("/", 1)[1])
    wait_until(lambda: Video.objects.filter(pk=video.pk, archived_at__isnull=False))
    head = page.request.get(video_url + "content/", headers={"Range": "bytes=0-7"})
    assert (head.status, head.body()[4:8]) == (206, b"ftyp")
    assert head.headers["etag"]
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download MP4").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".mp4")
    with open(download.path(), "rb") as mp4:
        assert mp4.read(8)[4:8] == b"ftyp"

    remix_prompt = page.get_by_label("Remix prompt")
    expect(remix_prompt).to_have_value("A paper boat drifting down a rainy street")
    remix_prompt.fill("The same boat, at night, under neon signs")
    page.get_by_role("button", name=re.compile(r"^Remix")).click()
    expect(page).to_have_url(DETAIL_URL)
    remix_url = page.url
    assert remix_url != video_url
    expect(page.locator("h1")).to_have_text("The same boat, at night, under neon signs")

    page.get_by_role("link", name="“A paper boat drifting down a rainy street”").click()
    expect(page).to_have_url(video_url)
    page.get_by_text("Delete this video").click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page).to_have_url(re.compile(r"/videos/$"))
    expect(page.locator(".message-success")).to_contain_text("Deleted")
    expect(page.locator(".video-card")).to_have_count(1)
    assert not Video.objects.filter(pk=video.pk).exists()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))
    expect(page.get_by_role("link", name="Create a free account")).to_be_visible()
    page.goto(remix_url)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_wrong_password_and_an_empty_prompt_show_inline_errors(pages, user):
    page = pages.new()
    pages.log_in(page, user.email, "not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_label("Email:")).to_be_visible()
    expect(page.get_by_text("password you specified are not correct")).to_be_visible()

    pages.log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/videos/$"))
    page.goto("/videos/new/")
    page.get_by_label("Prompt").fill("   ")
    page.get_by_role("button", name="Generate video").click()
    expect(page).to_have_url(re.compile(r"/videos/new/$"))
    field = page.locator(".field-prompt")
    expect(field.locator("label")).to_have_text("Prompt:")
    expect(field.locator("label")).to_be_visible()
    expect(page.get_by_label("Prompt:")).to_have_attribute("aria-invalid", "true")
    expect(field.get_by_text("the prompt cannot be empty")).to_be_visible()
    assert not Video.objects.exists()


def test_a_failed_video_shows_why(pages, emulator, poller, user):
    page = pages.new()
    pages.log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/videos/$"))
    create_video(page, "A castle made of jelly [fail]")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This video could not be made.", timeout=20_000)
    expect(alert).to_contain_text(FAILURE_MESSAGE)
    expect(page.locator("#status-panel .badge")).to_have_text("Failed")
    expect(page.locator("video")).to_have_count(0)


def test_another_users_video_is_not_found(pages, make_user, make_video):
    owner, stranger = make_user(name="Owner"), make_user(name="Stranger")
    video = make_video(owner, prompt="Only mine")
    page = pages.new()
    pages.log_in(page, stranger.email)
    expect(page).to_have_url(re.compile(r"/videos/$"))
    expect(page.get_by_text("You have no videos yet.")).to_be_visible()

    # Chromium logs the 404 document itself as a failed resource.
    pages.allow(rf"{video.pk}/: Failed to load resource: .* status of 404")
    response = page.goto(video.get_absolute_url())
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not Found")).to_be_visible()
    expect(page.get_by_text("Only mine")).to_have_count(0)
