"""Accessibility sweep (issue 15): axe-core on every page, in both layouts and states.

One sweep per module visits every page state at desktop (1280x800) and phone (390x844)
widths in Debian's Chromium: anonymous pages, a logged-in person's pages (one context
per layout, videos in every status saved straight into the database), and the admin.
On each it runs axe-core (`make axe` installs the pinned npm package), tabs through the
page to check that focus shows, and reads the progress bars' accessible names. The
tests below then judge each page state on its own, so a failure names the page, the
layout, the axe rule, its impact, the elements and the rule's help page.

Serious and critical axe violations fail. Moderate and minor findings, and what axe leaves for a person to judge (captions, text
over a poster), are not asserted.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

if TYPE_CHECKING:
    from videos.models import Video

from accounts.tests.fixtures import PASSWORD, give_totp, log_in_to_admin
from videos.tests.axe import (
    MISSING_AXE,
    FocusStop,
    Violation,
    failing,
    load_axe,
    progress_bar_names,
    run_axe,
    tab_through,
)

pytest_plugins = ["videos.tests.browser"]
# django_db: pytest-django creates the test database only for a session with tests
# that ask for it. Each test here only reads the sweep's results, in a transaction
# that is rolled back; the sweep itself writes outside any test, and cleans up.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

LAYOUTS = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}
SAMPLES = Path(__file__).resolve().parents[1] / "emulator" / "samples"

ANONYMOUS_STATES = [
    "landing",
    "login",
    "login-errors",
    "signup",
    "signup-errors",
    "password-reset",
    "not-found",
    "admin-login",
]
DETAIL_STATES = [
    "detail-pending",
    "detail-waiting-for-host",
    "detail-unconfirmed",
    "detail-queued",
    "detail-in-progress",
    "detail-completed",
    "detail-failed",
    "detail-expired",
    "detail-archive-problem",
]
USER_STATES = [
    "list-empty",
    "list",
    "list-no-match",
    "new-video",
    "new-video-errors",
    "profile",
    *DETAIL_STATES,
    "not-found-logged-in",
]
ADMIN_STATES = ["admin-index", "admin-users", "admin-videos", "admin-video-change"]
STATES = ANONYMOUS_STATES + USER_STATES + ADMIN_STATES
# Pages that show a video being made, each with a progress bar that needs a name.
PROGRESS_STATES = [
    "list",
    "detail-pending",
    "detail-waiting-for-host",
    "detail-queued",
    "detail-in-progress",
]


@dataclass
class PageAudit:
    layout: str
    state: str
    url: str
    violations: list[Violation]
    focus: list[FocusStop]
    progress_bars: list[str]

    @property
    def where(self) -> str:
        size = LAYOUTS[self.layout]
        return (
            f"{self.url} ({self.state}, {self.layout} {size['width']}x{size['height']})"
        )


@dataclass
class Sweep:
    """What the sweep found, by (layout, state); read by every test below."""

    audits: dict[tuple[str, str], PageAudit] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)
    self_check: PageAudit | None = None

    def audit(self, layout: str, state: str) -> PageAudit:
        return self.audits[(layout, state)]


class Auditor:
    """Runs the checks on a page and files the result under its layout and state."""

    def __init__(self, sweep: Sweep, axe_source: str, layout: str) -> None:
        self.sweep, self.axe_source, self.layout = sweep, axe_source, layout

    def visit(self, page, state: str, path: str, status: int = 200) -> None:
        response = page.goto(path)
        assert response.status == status, f"{state}: {path} answered {response.status}"
        self.check(page, state)

    def check(self, page, state: str) -> None:
        """Audit the page as it stands (after a visit, or a form sent with errors)."""
        self.sweep.audits[(self.layout, state)] = self.audit(page, state)

    def audit(self, page, state: str) -> PageAudit:
        page.wait_for_load_state("load")
        return PageAudit(
            layout=self.layout,
            state=state,
            url=path_of(page.url),
            violations=run_axe(page, self.axe_source),
            progress_bars=progress_bar_names(page),
            focus=tab_through(page),
        )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def make_videos(user) -> dict[str, "Video"]:
    """One video in each status the detail page tells apart, saved directly."""
    from videos.models import Video

    now = timezone.now()
    mp4 = (SAMPLES / "video.mp4").read_bytes()
    poster = (SAMPLES / "thumbnail.webp").read_bytes()
    tag = user.pk

    def make(prompt: str, **fields) -> Video:
        return Video.objects.create(
            user=user,
            prompt=prompt,
            model="sora-2",
            size="1280x720",
            seconds=4,
            **fields,
        )

    def archived(video: Video, **fields) -> Video:
        video.archived_video.save("video.mp4", ContentFile(mp4), save=False)
        video.archived_thumbnail.save("thumbnail.webp", ContentFile(poster), save=False)
        for name, value in {
            "archived_at": now,
            "duration": 4.0,
            "width": 1280,
            "height": 720,
            "frame_rate": 24.0,
            "video_codec": "h264",
            "audio_codec": "aac",
            "bit_rate": 1_200_000,
            **fields,
        }.items():
            setattr(video, name, value)
        video.save()
        return video

    running = {"submit_attempted_at": now - timedelta(seconds=90)}
    accepted = {**running, "submitted_at": now - timedelta(seconds=80)}
    return {
        "detail-pending": make("A quiet harbour at dawn, gulls circling"),
        "detail-waiting-for-host": make("A snowy forest path at night", **running),
        "detail-unconfirmed": make(
            "A kite festival over green hills",
            unconfirmed_since=now - timedelta(minutes=5),
            unconfirmed_reason="The submit's answer was lost.",
            **running,
        ),
        "detail-queued": make(
            "A tram crossing a bridge in the rain",
            status=Video.Status.QUEUED,
            openai_video_id=f"video_a11y_queued_{tag}",
            **accepted,
        ),
        "detail-in-progress": make(
            "A cat conducting an orchestra of kittens",
            status=Video.Status.IN_PROGRESS,
            progress=42,
            openai_video_id=f"video_a11y_running_{tag}",
            **accepted,
        ),
        "detail-completed": archived(
            make(
                "A lighthouse on a cliff at dusk, waves crashing below",
                status=Video.Status.COMPLETED,
                progress=100,
                openai_video_id=f"video_a11y_done_{tag}",
                completed_at=now - timedelta(minutes=2),
                **accepted,
            )
        ),
        "detail-failed": make(
            "An astronaut planting a tree on the moon",
            status=Video.Status.FAILED,
            error_code="moderation_blocked",
            error_message="The video could not be generated. Try a different prompt.",
            openai_video_id=f"video_a11y_failed_{tag}",
            **accepted,
        ),
        "detail-expired": make(
            "Fireworks over a river city",
            status=Video.Status.EXPIRED,
            progress=100,
            openai_video_id=f"video_a11y_expired_{tag}",
            completed_at=now - timedelta(days=2),
            expires_at=now - timedelta(days=1),
            **accepted,
        ),
        "detail-archive-problem": archived(
            make(
                "Timelapse of clouds over a mountain ridge",
                status=Video.Status.COMPLETED,
                progress=100,
                openai_video_id=f"video_a11y_broken_{tag}",
                completed_at=now - timedelta(minutes=3),
                **accepted,
            ),
            archive_problem="The archived file holds no video stream.",
        ),
    }


# What the checks must catch, put on a real page: faint text, a button whose focus
# does not show, a progress bar without a name (style set through the CSSOM, which the
# page's CSP allows; a style attribute in markup it would block).
ADD_KNOWN_PROBLEMS = """
() => {
  const faint = document.createElement("p");
  faint.textContent = "Faint text, for the sweep's self-check";
  faint.style.color = "#c8c8cc";
  const bare = document.createElement("button");
  bare.type = "button";
  bare.textContent = "No focus ring";
  bare.style.outline = "none";
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 10;
  document.querySelector("main").prepend(faint, bare, bar);
}
"""


def sweep_self_check(pages, auditor: Auditor, viewport: dict) -> PageAudit:
    """The landing page with known problems added, to show the checks see them."""
    page = pages.new(viewport)
    page.goto("/")
    page.evaluate(ADD_KNOWN_PROBLEMS)
    return auditor.audit(page, "self-check")


def sweep_anonymous(pages, auditor: Auditor, viewport: dict) -> None:
    page = pages.new(viewport)
    auditor.visit(page, "landing", "/")
    auditor.visit(page, "login", "/accounts/login/")
    pages.log_in(page, "nobody@example.com", "not-the-password")
    expect(page.locator(".errorlist")).to_be_visible()
    auditor.check(page, "login-errors")

    auditor.visit(page, "signup", "/accounts/signup/")
    page.get_by_label("Email:").fill("newcomer@example.com")
    page.get_by_label("Password:", exact=True).fill("short")
    page.get_by_label("Password (again):").fill("different")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign Up").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    auditor.check(page, "signup-errors")

    auditor.visit(page, "password-reset", "/accounts/password/reset/")
    auditor.visit(page, "not-found", "/no-such-page/", status=404)
    auditor.visit(page, "admin-login", "/admin/login/")


def sweep_user(pages, auditor: Auditor, viewport: dict, user) -> dict[str, "Video"]:
    page = pages.new(viewport)
    pages.log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/videos/$"))
    auditor.visit(page, "list-empty", "/videos/")
    expect(page.get_by_text("You have no videos yet.")).to_be_visible()

    videos = make_videos(user)
    auditor.visit(page, "list", "/videos/")
    expect(page.locator(".video-card")).to_have_count(len(videos))
    auditor.visit(page, "list-no-match", "/videos/?q=no-such-prompt")
    auditor.visit(page, "new-video", "/videos/new/")
    page.get_by_label("Prompt").fill("   ")
    with page.expect_navigation():
        page.get_by_role("button", name="Generate video").click()
    expect(page.get_by_text("the prompt cannot be empty")).to_be_visible()
    auditor.check(page, "new-video-errors")
    auditor.visit(page, "profile", "/accounts/profile/")
    for state, video in videos.items():
        auditor.visit(page, state, video.get_absolute_url())
    auditor.visit(page, "not-found-logged-in", "/videos/not-a-video/", status=404)
    return videos


def sweep_admin(pages, auditor: Auditor, viewport: dict, staff, video) -> None:
    page = pages.new(viewport)
    # The admin's login is allauth's now, which allows one address five logins in 15
    # minutes; this sweep logs in more often than that from 127.0.0.1.
    cache.clear()
    log_in_to_admin(page, staff)
    auditor.visit(page, "admin-index", "/admin/")
    auditor.visit(page, "admin-users", "/admin/accounts/user/")
    auditor.visit(page, "admin-videos", "/admin/videos/video/")
    auditor.visit(page, "admin-video-change", f"/admin/videos/video/{video.pk}/change/")


def confirmed(user):
    """The address confirmed, as sign-up leaves it (logging in needs it)."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    return user


def sweep_all(pages, axe_source: str) -> Sweep:
    """Both layouts, every state; then the database is emptied for the tests after."""
    from accounts.models import User

    result = Sweep()
    try:
        staff = confirmed(
            User.objects.create_user(
                email="a11y-admin@example.com",
                password=PASSWORD,
                name="Grace Admin",
                is_staff=True,
                is_superuser=True,
            )
        )
        give_totp(staff)  # the admin asks staff for a code from their app
        for layout, viewport in LAYOUTS.items():
            auditor = Auditor(result, axe_source, layout)
            person = confirmed(
                User.objects.create_user(
                    email=f"a11y-{layout}@example.com",
                    password=PASSWORD,
                    name="Ada Lovelace",
                )
            )
            sweep_anonymous(pages, auditor, viewport)
            if result.self_check is None:
                result.self_check = sweep_self_check(pages, auditor, viewport)
            videos = sweep_user(pages, auditor, viewport, person)
            sweep_admin(pages, auditor, viewport, staff, videos["detail-completed"])
    finally:
        pages.close()
        call_command("flush", interactive=False, verbosity=0)
    result.console_errors = pages.unexpected_errors()
    return result


@pytest.fixture(scope="module")
def sweep(request, chromium, django_db_setup, django_db_blocker, tmp_path_factory):
    """Every page state audited once, before the first test here reads the results.

    The sweep opens the database itself and empties it when done, like a live-server
    test does after each case. The live server is fetched here rather than named as a
    parameter: a test whose fixtures name it is made transactional, and each of the
    hundred-odd checks below would empty the database again for nothing.
    """
    axe_source = load_axe()
    if axe_source is None:
        pytest.fail(MISSING_AXE)
    live_server = request.getfixturevalue("live_server")
    # The browser plugin's Pages, without importing the plugin module a second time.
    browser = request.config.pluginmanager.get_plugin("videos.tests.browser")
    pages = browser.Pages(chromium=chromium, base_url=live_server.url)
    # The 404 documents themselves, which Chromium logs as failed loads.
    pages.allow(r"/(no-such-page|videos/not-a-video)/: Failed to load resource: .* 404")
    speedy = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("a11y-media"),
    )
    # The live server's host in ALLOWED_HOSTS, as pytest-django adds it for each
    # live-server test.
    with (
        django_db_blocker.unblock(),
        live_server._live_server_modified_settings,
        speedy,
    ):
        return sweep_all(pages, axe_source)


def each_page(states: list[str]) -> list:
    return [
        pytest.param(layout, state, id=f"{layout}-{state}")
        for layout in LAYOUTS
        for state in states
    ]


@pytest.mark.parametrize(("layout", "state"), each_page(STATES))
def test_no_serious_or_critical_axe_violations(sweep, layout, state):
    audit = sweep.audit(layout, state)
    found = failing(audit.violations)
    assert not found, (
        f"{len(found)} serious or critical axe-core rule(s) fail on {audit.where}:\n"
        + "\n".join(violation.describe() for violation in found)
    )


@pytest.mark.parametrize(("layout", "state"), each_page(STATES))
def test_keyboard_focus_is_visible(sweep, layout, state):
    audit = sweep.audit(layout, state)
    assert audit.focus, f"Tab reached nothing on {audit.where}"
    problems = [problem for stop in audit.focus if (problem := stop.problem())]
    assert not problems, f"focus does not show on {audit.where}:\n" + "\n".join(
        f"  - {problem}" for problem in problems
    )


@pytest.mark.parametrize("layout", LAYOUTS)
def test_tab_reaches_links_buttons_and_form_fields(sweep, layout):
    """The focus check above covered each kind of control, not only links."""
    reached = {
        stop.tag
        for (where, _), audit in sweep.audits.items()
        if where == layout
        for stop in audit.focus
    }
    assert {"a", "button", "input", "select", "textarea", "summary"} <= reached


@pytest.mark.parametrize(("layout", "state"), each_page(PROGRESS_STATES))
def test_progress_bars_have_accessible_names(sweep, layout, state):
    audit = sweep.audit(layout, state)
    assert audit.progress_bars, f"no progress bar on {audit.where}"
    unnamed = [name for name in audit.progress_bars if not name.strip()]
    assert not unnamed, (
        f"{len(unnamed)} of {len(audit.progress_bars)} progress bars on "
        f"{audit.where} have no accessible name: {audit.progress_bars}"
    )


def test_the_checks_catch_what_they_look_for(sweep):
    """On a page with faint text, a hidden focus and an unnamed bar, each check fails."""
    audit = sweep.self_check
    assert "color-contrast" in {v.rule for v in failing(audit.violations)}
    problems = [problem for stop in audit.focus if (problem := stop.problem())]
    assert problems == [
        "button[type=button] 'No focus ring': no outline or box-shadow when focused"
    ]
    assert "" in audit.progress_bars


def test_swept_pages_logged_no_errors(sweep):
    assert len(sweep.audits) == len(LAYOUTS) * len(STATES)
    assert not sweep.console_errors, "console errors:\n" + "\n".join(
        sweep.console_errors
    )
