"""Fixtures for browser tests: Debian's Chromium driven by Playwright's sync API.

A test module loads this as a plugin (`pytest_plugins = ["videos.tests.browser"]`),
marks itself `browser`, and asks for `pages`. Every page opened through `pages` records
console errors, uncaught exceptions and Content-Security-Policy violations; the test
fails at teardown if any page produced one it did not say to expect. Without Chromium
the tests skip and say how to install it.

Tests use these fixtures rather than importing from here: a module pytest has to load
as a plugin must not be imported before it (its asserts would not be rewritten).
"""

import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize

from accounts.tests.fixtures import PASSWORD
from videos.tests.processes import manage, process_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The network is closed: without these Chromium keeps dialling out, noisily.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIP_REASON = (
    f"Chromium is not installed at {CHROMIUM}: run "
    "`apt-get update && apt-get install -y chromium` (Debian's package)"
)

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}

# Reported from inside the page: init scripts are exempt from the page's CSP, and the
# event names the directive and the source, which the console message may not.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " at " + event.sourceFile + ":" +
                event.lineNumber);
});
"""


@dataclass
class Pages:
    """Opens pages on the live server and keeps what went wrong in any of them."""

    chromium: Browser
    base_url: str
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)
    contexts: list = field(default_factory=list)

    desktop = DESKTOP
    phone = PHONE

    def new(self, viewport: ViewportSize | None = None):
        """A page in a fresh context (its own cookies, so one per person)."""
        context = self.chromium.new_context(
            base_url=self.base_url, viewport=viewport or DESKTOP, accept_downloads=True
        )
        context.set_default_timeout(10_000)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self._record(page, f"uncaught {error}"))
        return page

    def log_in(self, page, email: str, password: str = PASSWORD) -> None:
        """Log in through the site's login form (lands on the list when it works)."""
        page.goto("/accounts/login/")
        page.get_by_label("Email:").fill(email)
        page.get_by_label("Password:").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign In", exact=True).click()

    def allow(self, pattern: str) -> None:
        """Expect console errors matching `pattern` (a page tested to answer 404)."""
        self.allowed.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        return [
            error
            for error in self.errors
            if not any(pattern.search(error) for pattern in self.allowed)
        ]

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def _console(self, page, message) -> None:
        if message.type == "error":
            self._record(page, message.text)

    def _record(self, page, text: str) -> None:
        self.errors.append(f"{page.url}: {text}")


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One headless Chromium per test module."""
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an event loop running in this thread, which
        # Django takes for async code; the ORM calls here are plain sync test code.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield launched
            launched.close()


@pytest.fixture
def pages(chromium, live_server) -> Iterator[Pages]:
    """Pages on the live server; fails the test if one logged an unexpected error."""
    opened = Pages(chromium=chromium, base_url=live_server.url)
    yield opened
    opened.close()
    unexpected = opened.unexpected_errors()
    assert not unexpected, "console errors:\n" + "\n".join(unexpected)


@pytest.fixture
def poller(emulator, settings) -> Iterator[list[str]]:
    """`manage.py poll_videos` as a real process, sharing our database and media.

    Yields its output lines so far: a thread drains the pipe, so a chatty poller
    never blocks on a full one. The web side schedules the first poll of a new
    video with the same short intervals (it runs in this process).
    """
    settings.POLL_INTERVAL_MIN, settings.POLL_INTERVAL_MAX = 0.5, 1.0
    env = process_env(
        emulator,
        POLL_INTERVAL_MIN="0.5",
        POLL_INTERVAL_MAX="1",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        VIDEO_ARCHIVE="on" if settings.VIDEO_ARCHIVE else "off",
    )
    process = manage("poll_videos", "--sleep", "0.2", env=env)
    lines: list[str] = []

    assert process.stdout is not None  # manage() pipes it
    output = process.stdout

    def drain() -> None:
        for line in output:
            lines.append(line.rstrip())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    yield lines
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    reader.join(timeout=5)
