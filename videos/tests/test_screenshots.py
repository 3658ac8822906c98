"""Screenshots of the main pages at desktop and phone widths, for the docs and for review.

`UPDATE_SCREENSHOTS=1 pytest videos/tests/test_screenshots.py` rewrites
docs/screenshots/; a normal run writes into a temporary folder, so it still checks that
every page renders without console errors but leaves the tree clean.
"""

import os
from pathlib import Path

import pytest

from accounts.tests.fixtures import give_totp, log_in_to_admin
from videos.models import Video

pytest_plugins = ["videos.tests.browser"]
pytestmark = pytest.mark.browser

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Waits until every image has loaded (lazy ones too: the page is scrolled through).
IMAGES_LOADED = """
async () => {
  window.scrollTo(0, document.body.scrollHeight);
  await new Promise((resolve) => requestAnimationFrame(resolve));
  const pending = Array.from(document.images).filter((image) => !image.complete);
  await Promise.all(pending.map((image) => new Promise((resolve) => {
    image.addEventListener("load", resolve, { once: true });
    image.addEventListener("error", resolve, { once: true });
  })));
  window.scrollTo(0, 0);
}
"""

PLAYER_READY = "() => document.querySelector('video.player').readyState >= 2"
# Chromium's player shows a loading spinner for a moment after it has the data.
SPINNER_GONE_MS = 1000


@pytest.fixture
def screenshots_dir(tmp_path) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path


def shoot(page, path: str, file: Path, ready: str | None = None) -> None:
    page.goto(path)
    page.evaluate(IMAGES_LOADED)
    if ready:
        page.wait_for_function(ready)
        page.wait_for_timeout(SPINNER_GONE_MS)
    page.screenshot(path=file, full_page=True, animations="disabled")


@pytest.mark.timeout(120)
def test_screenshots(
    pages, screenshots_dir, make_user, make_video, completed_video, staff_user
):
    owner = make_user(name="Ada Lovelace", email="ada@example.com")
    finished = [
        completed_video(owner, prompt=prompt, size=size, seconds=seconds)
        for prompt, size, seconds in [
            ("A lighthouse on a cliff at dusk, waves crashing below", "720x1280", 4),
            ("Macro shot of dew drops on a spider web at sunrise", "1280x720", 8),
            ("A paper boat on a rainy street, neon reflections", "720x1280", 4),
            ("Timelapse of clouds rolling over a mountain ridge", "1280x720", 12),
        ]
    ]
    failed = make_video(
        owner,
        prompt="An astronaut planting a tree on the moon, soft morning light",
        status=Video.Status.FAILED,
        error_code="generation_failed",
        error_message="The video could not be generated. Try a different prompt.",
    )
    running = make_video(
        owner,
        prompt="A cat conducting an orchestra of kittens in a grand concert hall, "
        "warm stage lights, slow dolly-in from the back of the room",
        status=Video.Status.IN_PROGRESS,
        progress=42,
        openai_video_id="video_running_for_screenshot",
    )
    hidden = make_video(
        owner,
        prompt="A famous footballer scoring a goal in a packed stadium",
        status=Video.Status.COMPLETED,
        hidden=True,
        hidden_reason="Shows a real, recognisable person without their consent",
    )
    completed = finished[0]
    give_totp(staff_user)  # the admin asks staff for a code from their app
    # Django's admin links no icon: Chromium's /favicon.ico request 404s there.
    pages.allow(r"/admin/.*: Failed to load resource: .* status of 404")

    for width, viewport in (("desktop", pages.desktop), ("phone", pages.phone)):
        visitor = pages.new(viewport)
        shoot(visitor, "/", screenshots_dir / f"landing-{width}.png")
        shoot(visitor, "/accounts/signup/", screenshots_dir / f"signup-{width}.png")
        shoot(visitor, "/accounts/login/", screenshots_dir / f"login-{width}.png")

        user = pages.new(viewport)
        pages.log_in(user, owner.email)
        shoot(user, "/videos/", screenshots_dir / f"videos-list-{width}.png")
        shoot(user, "/videos/new/", screenshots_dir / f"new-video-{width}.png")
        shoot(
            user,
            failed.get_absolute_url(),
            screenshots_dir / f"video-failed-{width}.png",
        )
        shoot(
            user,
            hidden.get_absolute_url(),
            screenshots_dir / f"video-hidden-{width}.png",
        )
        shoot(
            user,
            running.get_absolute_url(),
            screenshots_dir / f"video-running-{width}.png",
        )
        shoot(
            user,
            completed.get_absolute_url(),
            screenshots_dir / f"video-completed-{width}.png",
            ready=PLAYER_READY,
        )

        admin = pages.new(viewport)
        log_in_to_admin(admin, staff_user)
        shoot(
            admin, "/admin/videos/video/", screenshots_dir / f"admin-videos-{width}.png"
        )

    assert len(list(screenshots_dir.glob("*.png"))) >= 20
