"""Posters, durations and scrub previews in a real browser (Chromium via Playwright).

The videos are archived for real (the emulator's clips, our own posters and
spritesheets, made by PyAV); the list page must show each at its own shape with its
length, and step through its spritesheet as a pointer (or a finger) moves across it.
"""

import re

import pytest
from playwright.sync_api import expect

from videos.models import Video
from videos.tests.helpers import archived_at_emulator

pytest_plugins = ["videos.tests.browser"]
pytestmark = pytest.mark.browser

SCRUB_STATE = """
(thumb) => [thumb.dataset.scrubIndex ?? null,
            thumb.querySelector(".scrub-frame").hidden,
            thumb.querySelector(".scrub-frame").style.backgroundPosition]
"""


def archived(user, emulator, **fields) -> Video:
    params = {"prompt": "A paper boat in the rain", "model": "sora-2", "seconds": 8}
    params.update(fields)
    return archived_at_emulator(user, emulator, **params)


@pytest.fixture
def our_pictures(settings, emulator):
    """A host without thumbnails: every poster and spritesheet is ours."""
    settings.SORA_HOST_PRESET = "litellm"
    emulator.reset(profile="litellm", render_seconds=1.0)


def scrub_state(thumb) -> tuple:
    return tuple(thumb.evaluate(SCRUB_STATE))


def test_the_list_scrubs_through_a_video_under_the_pointer(
    pages, our_pictures, emulator, user
):
    landscape = archived(user, emulator, prompt="Landscape", size="1280x720")
    portrait = archived(user, emulator, prompt="Portrait", size="720x1280")
    page = pages.new()
    pages.log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/videos/$"))

    wide = page.locator(".video-card", has_text="Landscape").locator(".thumb")
    tall = page.locator(".video-card", has_text="Portrait").locator(".thumb")
    expect(wide.locator(".duration-badge")).to_have_text("0:08")
    wide_box, tall_box = wide.bounding_box(), tall.bounding_box()
    assert wide_box["width"] > wide_box["height"]
    assert tall_box["height"] > 1.5 * tall_box["width"]  # its own shape, no letterbox
    poster = wide.locator("img")
    expect(poster).to_have_attribute("src", re.compile(r"variant=thumbnail"))
    assert poster.evaluate("img => img.complete && img.naturalWidth") == 640

    assert scrub_state(wide)[:2] == (None, True)
    box = wide_box
    seen = []
    for fraction in (0.05, 0.5, 0.95):
        page.mouse.move(
            box["x"] + fraction * box["width"], box["y"] + box["height"] / 2
        )
        index, hidden, position = scrub_state(wide)
        assert not hidden
        seen.append((int(index), position))
    assert [index for index, _ in seen] == [0, 4, 7]  # 8 tiles for 8 seconds
    assert len({position for _, position in seen}) == 3  # a different frame each time
    sheet = wide.locator(".scrub-frame").evaluate(
        "frame => getComputedStyle(frame).backgroundImage"
    )
    assert f"/videos/{landscape.pk}/content/?variant=spritesheet" in sheet
    page.mouse.move(0, 0)
    assert scrub_state(wide)[:2] == (None, True)
    assert portrait.sprite_count == 8


def test_a_finger_dragged_across_a_poster_scrubs_on_a_phone(
    pages, our_pictures, emulator, user
):
    archived(user, emulator, prompt="On the phone", size="720x1280", seconds=4)
    page = pages.new(pages.phone)
    pages.log_in(page, user.email)
    thumb = page.locator(".video-card .thumb").first
    expect(thumb.locator(".duration-badge")).to_have_text("0:04")
    box = thumb.bounding_box()
    y = box["y"] + box["height"] / 2
    for fraction, tile in ((0.1, 0), (0.9, 4)):
        thumb.dispatch_event(
            "pointermove",
            {
                "pointerType": "touch",
                "clientX": box["x"] + fraction * box["width"],
                "clientY": y,
            },
        )
        assert scrub_state(thumb)[:2] == (str(tile), False)
    thumb.dispatch_event("pointerup", {"pointerType": "touch"})
    assert scrub_state(thumb)[:2] == (None, True)


def test_the_detail_page_shows_the_poster_and_the_real_facts(
    pages, our_pictures, emulator, user
):
    video = archived(user, emulator, size="720x1280", seconds=8)
    page = pages.new()
    pages.log_in(page, user.email)
    page.goto(video.get_absolute_url())
    player = page.locator("video.player")
    expect(player).to_have_attribute("poster", re.compile(r"variant=thumbnail"))
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("8 seconds")
    expect(facts).to_contain_text("720 × 1280, 24 fps")
    expect(facts).to_contain_text("H264 video, AAC audio")
    duration = player.evaluate(
        """video => new Promise((resolve) => {
             if (video.readyState >= 1) resolve(video.duration);
             video.addEventListener("loadedmetadata", () => resolve(video.duration));
             video.load();
           })"""
    )
    assert duration == pytest.approx(8.0, abs=0.1)  # the page and the player agree


def running_video(user, *, elapsed: float, expected: float = 60.0) -> Video:
    """A video at a host without progress, accepted `elapsed` seconds ago."""
    from datetime import timedelta

    from django.utils import timezone

    return Video.objects.create(
        user=user,
        prompt="A slow pan over a harbour",
        model="Wan-AI/Wan2.2-T2V-A14B-Diffusers",
        size="1280x720",
        seconds=5,
        status=Video.Status.IN_PROGRESS,
        openai_video_id=f"video_gen_{int(elapsed):032d}",
        submitted_at=timezone.now() - timedelta(seconds=elapsed),
        expected_render_seconds=expected,
        render_spread_seconds=5.0,
        estimate_samples=12,
        next_poll_at=None,
    )


def test_a_rendering_video_shows_elapsed_time_and_an_honest_estimate(
    pages, settings, user
):
    settings.SORA_HOST_PRESET = "vllm-omni"
    soon = running_video(user, elapsed=21)
    late = running_video(user, elapsed=200)
    page = pages.new()
    pages.log_in(page, user.email)
    expect(page.locator(".video-card-estimate")).to_have_text(
        ["Taking longer than usual", "About 40 s left"]
    )

    page.goto(soon.get_absolute_url())
    estimate = page.locator("#status-panel .estimate")
    expect(estimate).to_contain_text("about 40 s left")
    expect(page.locator("#status-panel progress")).not_to_have_attribute("value", "0")
    first = estimate.locator("[data-elapsed]").inner_text()
    expect(estimate.locator("[data-elapsed]")).not_to_have_text(first, timeout=3000)
    assert first.startswith("0:2")  # the clock ticks from the host's acceptance

    page.goto(late.get_absolute_url())
    expect(page.locator("#status-panel .estimate")).to_contain_text(
        "taking longer than usual"
    )
    expect(page.locator("#status-panel [data-elapsed]")).to_have_text(
        re.compile(r"^3:2")
    )
