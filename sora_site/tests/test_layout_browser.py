"""The layout on a phone: a long user name is cut in the header; the footer is for people.

Chromium at 390 px wide (the `pages` fixture's phone) logs in as a user whose short
name is a 60-character email local part, or a 150-character name, and checks that
nothing on the page scrolls sideways and the name still leads to the profile.
"""

import pytest
from playwright.sync_api import expect

pytest_plugins = ["videos.tests.browser"]
pytestmark = pytest.mark.browser

# No hyphen or space: nothing the browser could wrap at.
LONG_LOCAL_PART = "averylongname.withdots_and_underscores.thatsomeoneuses4signup"[:60]

PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
NAME_LINK = ".nav-user a"


def header_name_facts(page) -> dict:
    return page.eval_on_selector(
        NAME_LINK,
        """(link) => {
          const box = link.getBoundingClientRect();
          return {
            truncated: link.scrollWidth > link.clientWidth,
            ellipsis: getComputedStyle(link).textOverflow,
            left: box.left, right: box.right, width: box.width,
            text: link.textContent,
          };
        }""",
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"email": f"{LONG_LOCAL_PART}@example.com"},
        {
            "email": "short@example.com",
            "name": "Wolfeschlegelsteinhausenbergerdorff" * 4,
        },
    ],
    ids=["60-character email local part", "150-character name"],
)
def test_a_long_user_name_does_not_widen_the_phone_header(pages, make_user, fields):
    assert len(LONG_LOCAL_PART) == 60
    user = make_user(**fields)
    page = pages.new(pages.phone)
    pages.log_in(page, user.email)
    # The page after login says "Successfully signed in as <the whole email>".
    assert page.evaluate(PAGE_OVERFLOW) <= 0, "the page after login scrolls sideways"

    for path in ("/videos/", "/videos/new/", "/accounts/profile/", "/"):
        page.goto(path)
        assert page.evaluate(PAGE_OVERFLOW) <= 0, f"{path} scrolls sideways"
        facts = header_name_facts(page)
        assert facts["text"] == user.get_short_name()
        assert facts["truncated"] and facts["ellipsis"] == "ellipsis", facts
        assert 0 <= facts["left"] and facts["right"] <= pages.phone["width"], facts
        assert facts["width"] >= 60, facts  # still a target one can tap

    link = page.locator(NAME_LINK)
    expect(link).to_have_attribute("title", f"Your profile: {user.get_full_name()}")
    link.click()
    expect(page).to_have_url(f"{pages.base_url}/accounts/profile/")


def test_a_short_name_is_shown_whole_on_a_phone(pages, user):
    page = pages.new(pages.phone)
    pages.log_in(page, user.email)
    facts = header_name_facts(page)
    assert facts["text"] == "Ada" and not facts["truncated"], facts
    assert page.evaluate(PAGE_OVERFLOW) <= 0


def test_the_footer_has_no_machine_status_link(pages, user):
    # /health answers load balancers in JSON (test_health.py); people never need it.
    page = pages.new(pages.phone)
    for path in ("/", "/accounts/login/"):
        page.goto(path)
        expect(page.locator("footer")).to_contain_text("Sora Studio")
        expect(page.locator("footer a")).to_have_count(0)
    pages.log_in(page, user.email)
    expect(page.locator("footer a")).to_have_count(0)
