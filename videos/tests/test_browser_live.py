"""Pages that keep themselves current, in Chromium: the list's running cards and the
detail page's panel, the requests they make, and when they stop making them.

The poller runs as its own process and the emulator plays the host, so videos really
finish while the page watches. Every request the page makes to a `/status/` URL is
recorded with the time it was sent.
"""

import itertools
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from videos import services
from videos.models import Video

pytest_plugins = ["videos.tests.browser"]
pytestmark = pytest.mark.browser

POLL_SECONDS = 3  # list-status.js
DETAIL_POLL_SECONDS = 2  # video-status.js

HIDE_TAB = """
(hidden) => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", {
    configurable: true, get: () => (hidden ? "hidden" : "visible"),
  });
  document.dispatchEvent(new Event("visibilitychange"));
}
"""


class StatusRequests:
    """The `/status/` requests a page sends: (seconds since recording began, URL)."""

    def __init__(self, page) -> None:
        self.started = time.monotonic()
        self.sent: list[tuple[float, str]] = []
        page.on("request", self._record)

    def _record(self, request) -> None:
        if "/status/" in request.url:
            self.sent.append((time.monotonic() - self.started, request.url))

    def count(self) -> int:
        return len(self.sent)

    def ids_asked(self) -> list[set[str]]:
        """For each batch poll, the video ids it asked about."""
        return [
            set(parse_qs(urlparse(url).query)["ids"][0].split(","))
            for _, url in self.sent
        ]


def start(user, prompt: str) -> Video:
    """A video submitted to the emulator, as the create form would."""
    return services.create_video(
        user=user, prompt=prompt, model="sora-2", size="1280x720", seconds=4
    )


def card(page, video: Video):
    return page.locator(f'.video-card[data-video-id="{video.pk}"]')


@pytest.mark.timeout(120)
def test_running_cards_finish_in_place_with_one_request_per_poll(
    pages, emulator, poller, user
):
    quick = start(user, "A red kite over the dunes [render=5]")
    slow = [
        start(user, "A green kite over the sea [render=14]"),
        start(user, "A blue kite over the hills [render=14]"),
    ]
    page = pages.new()
    requests = StatusRequests(page)
    pages.log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/videos/$"))
    page.evaluate("window.__marker = 1")
    for video in (quick, *slow):
        expect(card(page, video)).to_have_attribute("data-running", "")

    # The quick one finishes: its card becomes the finished card the page would
    # render (poster, length), while the others keep running.
    quick_card = card(page, quick)
    expect(quick_card.locator("[data-card-badge]")).to_have_text(
        "Completed", timeout=20_000
    )
    expect(quick_card.locator(".duration-badge")).to_have_text("0:04")
    expect(quick_card.locator("img")).to_have_attribute(
        "src", f"/videos/{quick.pk}/content/?variant=thumbnail"
    )
    expect(quick_card.locator("progress")).to_have_count(0)
    expect(page.locator("[data-list-announcer]")).to_contain_text("Completed")
    for video in slow:
        expect(card(page, video).locator("progress")).to_have_count(1)
        assert card(page, video).get_attribute("data-running") == ""

    for video in slow:
        expect(card(page, video).locator("[data-card-badge]")).to_have_text(
            "Completed", timeout=30_000
        )
    assert page.evaluate("window.__marker") == 1, "the page reloaded"

    # Nothing runs: nothing more is asked.
    asked = requests.count()
    page.wait_for_timeout(POLL_SECONDS * 2500)
    assert requests.count() == asked, requests.sent

    # Every poll was one batch request for all the cards running at the time: the
    # three at first, then the two slow ones; never one request per card.
    every_id = {str(video.pk) for video in (quick, *slow)}
    slow_ids = {str(video.pk) for video in slow}
    assert all(urlparse(url).path == "/videos/status/" for _, url in requests.sent)
    ids = requests.ids_asked()
    assert ids[0] == every_id, ids
    assert slow_ids in ids, ids
    assert set(map(frozenset, ids)) <= {frozenset(every_id), frozenset(slow_ids)}, ids
    assert ids.index(slow_ids) > ids.index(every_id)
    assert all(later != every_id for later in ids[ids.index(slow_ids) :]), ids
    times = [sent for sent, _ in requests.sent]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap > POLL_SECONDS * 0.8 for gap in gaps), gaps


def test_the_list_asks_nothing_while_the_tab_is_hidden(pages, user, make_video):
    running = make_video(user, status=Video.Status.IN_PROGRESS, progress=30)
    page = pages.new()
    requests = StatusRequests(page)
    pages.log_in(page, user.email)
    expect(card(page, running)).to_have_attribute("data-running", "")
    with page.expect_request(re.compile(r"/videos/status/\?ids="), timeout=5_000):
        pass

    page.evaluate(HIDE_TAB, True)
    asked = requests.count()
    page.wait_for_timeout(POLL_SECONDS * 2500)
    assert requests.count() == asked, requests.sent

    # Back in view: it catches up at once rather than after a full interval.
    with page.expect_request(re.compile(r"/videos/status/\?ids="), timeout=1_000):
        page.evaluate(HIDE_TAB, False)
    assert requests.ids_asked()[-1] == {str(running.pk)}


def test_a_card_deleted_elsewhere_says_so_and_is_not_asked_about(
    pages, user, make_video
):
    kept = make_video(user, status=Video.Status.IN_PROGRESS, prompt="Kept")
    gone = make_video(user, status=Video.Status.IN_PROGRESS, prompt="Gone")
    page = pages.new()
    requests = StatusRequests(page)
    pages.log_in(page, user.email)
    gone_card, gone_id = card(page, gone), str(gone.pk)
    expect(gone_card).to_have_attribute("data-running", "")
    gone.delete()

    expect(gone_card.locator("[data-card-badge]")).to_have_text(
        "Deleted", timeout=10_000
    )
    expect(gone_card.locator("progress")).to_have_count(0)
    expect(page.locator("[data-list-announcer]")).to_have_text("“Gone” was deleted.")
    with page.expect_request(re.compile(r"/videos/status/\?ids="), timeout=5_000):
        pass
    assert requests.ids_asked()[-1] == {str(kept.pk)}
    assert gone_id not in requests.ids_asked()[-1]


def test_the_detail_page_stops_asking_once_the_video_is_deleted(
    pages, user, make_video
):
    video = make_video(user, status=Video.Status.IN_PROGRESS, progress=20)
    page = pages.new()
    requests = StatusRequests(page)
    pages.log_in(page, user.email)
    # Chromium logs the poll's 404 as a failed resource, against the page's URL.
    pages.allow(rf"{video.pk}/: Failed to load resource: .* status of 404")
    page.goto(video.get_absolute_url())
    panel = page.locator("#status-panel")
    expect(panel).to_have_attribute("aria-live", "polite")
    # The percent and the ticking clock are not read out at every change.
    expect(panel.locator("[data-progress-text]")).to_have_attribute("aria-live", "off")
    expect(panel.locator("[data-started-at]")).to_have_attribute("aria-live", "off")
    expect(panel.locator("progress")).to_have_attribute("aria-label", re.compile(r"\w"))
    with page.expect_request(f"**/videos/{video.pk}/status/", timeout=5_000):
        pass

    Video.objects.filter(pk=video.pk).delete()  # as another session would

    expect(panel).to_contain_text("This video was deleted.", timeout=10_000)
    back = panel.get_by_role("link", name="Back to My videos")
    expect(back).to_have_attribute("href", "/videos/")
    expect(panel.locator("progress")).to_have_count(0)
    asked = requests.count()
    page.wait_for_timeout(DETAIL_POLL_SECONDS * 2500)
    assert requests.count() == asked, requests.sent
    back.click()
    expect(page).to_have_url(re.compile(r"/videos/$"))


def test_the_detail_page_stops_asking_once_a_moderator_hides_the_video(
    pages, user, make_video
):
    video = make_video(user, status=Video.Status.IN_PROGRESS, progress=20)
    page = pages.new()
    requests = StatusRequests(page)
    pages.log_in(page, user.email)
    page.goto(video.get_absolute_url())
    panel = page.locator("#status-panel")
    with page.expect_request(f"**/videos/{video.pk}/status/", timeout=5_000):
        pass

    Video.objects.filter(pk=video.pk).update(hidden=True, hidden_reason="Spam")

    expect(panel.locator(".badge")).to_have_text(
        "Hidden by a moderator", timeout=10_000
    )
    expect(panel).to_contain_text("Spam")
    expect(panel.locator("progress")).to_have_count(0)
    asked = requests.count()
    page.wait_for_timeout(DETAIL_POLL_SECONDS * 2500)
    assert requests.count() == asked, requests.sent


@pytest.mark.parametrize("where", ["detail", "list"])
def test_a_page_left_open_goes_to_the_suspended_page_when_its_owner_is_banned(
    pages, user, make_video, where
):
    """Found by a fresh-eyes pass: the page's own poll used to end the banned session,
    so the page said "logged out" (or nothing) and a reload showed a bare login page."""
    from accounts.models import User

    running = make_video(user, status=Video.Status.IN_PROGRESS, progress=30)
    page = pages.new()
    pages.allow(r"status of 403")  # the poll's answer to a suspended session
    pages.log_in(page, user.email)
    if where == "detail":
        page.goto(f"/videos/{running.pk}/")
    expect(page.locator("[data-live], [data-running]").first).to_be_visible()
    with page.expect_request(re.compile(r"/status/"), timeout=10_000):
        pass

    User.objects.filter(pk=user.pk).update(is_active=False)
    expect(page).to_have_url(re.compile(r"/accounts/inactive/$"), timeout=15_000)
    expect(page.get_by_text("A moderator has suspended this account")).to_be_visible()
    page.goto("/videos/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # the session ended
