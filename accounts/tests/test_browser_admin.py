"""An admin moderates in a real browser: hides a video, then bans its owner.

The owner watches from their own browser context, so each step is checked from the
side of the person it affects.
"""

import re

import pytest
from playwright.sync_api import Response, expect

from accounts.tests.fixtures import log_in_at_the_admin, set_up_authenticator_app

pytest_plugins = ["videos.tests.browser"]
pytestmark = pytest.mark.browser


def run_action(page, search: str, action: str) -> None:
    """Search a changelist, select the single match and run `action` on it."""
    page.get_by_role("textbox", name="Search").fill(search)
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("input[name=_selected_action]").check()
    page.get_by_label("Action:").select_option(label=action)
    page.get_by_role("button", name="Run").click()


def test_admin_hides_a_video_and_bans_its_owner(
    pages, make_user, staff_user, completed_video
) -> None:
    owner = make_user(name="Kite Flyer")
    completed_video(owner, prompt="A red kite over the dunes", size="720x1280")

    mine = pages.new()
    pages.log_in(mine, owner.email)
    expect(mine).to_have_url(re.compile(r"/videos/$"))
    expect(mine.locator(".video-card")).to_contain_text("A red kite over the dunes")

    # Django's admin pages link no icon, so Chromium asks for /favicon.ico and logs
    # its 404. That is the only console error the admin may produce.
    pages.allow(r"/admin/.*: Failed to load resource: .* status of 404")
    admin = pages.new()
    missing: list[str] = []

    def note_missing(response: Response) -> None:
        if response.status == 404 and not response.url.endswith("/favicon.ico"):
            missing.append(response.url)

    admin.on("response", note_missing)
    # The admin sends them to the site's login, and, as they have no authenticator
    # app yet, to set one up before it opens.
    log_in_at_the_admin(admin, staff_user)
    set_up_authenticator_app(admin)
    expect(
        admin.get_by_role("heading", name="Users, videos and moderation")
    ).to_be_visible()

    admin.locator("tr.model-video").get_by_role("link", name="Videos").click()
    expect(admin).to_have_url(re.compile(r"/admin/videos/video/$"))
    run_action(admin, "red kite", "Hide selected videos from their owners")
    admin.get_by_label("Reason:").fill("Looks like a real brand's logo")
    admin.get_by_role("button", name="Hide 1 video").click()
    expect(admin.locator(".messagelist")).to_contain_text("Hid 1 video(s)")

    mine.reload()
    card = mine.locator(".video-card", has_text="A red kite over the dunes")
    expect(card).to_contain_text("Hidden by a moderator")
    card.get_by_role("link").first.click()
    expect(mine.get_by_text("A moderator hid this video.")).to_be_visible()
    expect(mine.get_by_text("Reason: Looks like a real brand's logo")).to_be_visible()
    expect(mine.locator("video")).to_have_count(0)

    admin.goto("/admin/accounts/user/")
    run_action(admin, owner.email, "Deactivate (ban) selected users")
    expect(admin.locator(".messagelist")).to_contain_text("Deactivated 1 user(s)")
    assert not missing, missing

    # The ban ends the session they had, saying why, and refuses a new one.
    mine.goto("/videos/")
    expect(mine).to_have_url(re.compile(r"/accounts/inactive/$"))
    expect(mine.get_by_text("A moderator has suspended this account")).to_be_visible()
    mine.goto("/videos/")
    expect(mine).to_have_url(re.compile(r"/accounts/login/\?next=/videos/"))
    pages.log_in(mine, owner.email)
    expect(mine).to_have_url(re.compile(r"/accounts/inactive/"))
    expect(
        mine.get_by_role("heading", name="This account is suspended")
    ).to_be_visible()
    expect(mine.get_by_text("A moderator has suspended this account")).to_be_visible()
    mine.goto("/videos/")
    expect(mine).to_have_url(re.compile(r"/accounts/login/"))
