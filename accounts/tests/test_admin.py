"""`/admin/accounts/user/`: usage columns, search, filters, bans, the user forms."""

import pytest

from accounts.models import User
from accounts.tests.fixtures import PASSWORD
from accounts.tests.signup import confirmation_path
from videos.models import UsageCharge, Video

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"
# Session, staff user, two counts, one page of users with their usage: 5 at 1 row
# and at 50 (measured); the usage columns are subqueries of the page's query.
# Session, staff user, authenticator app (the admin needs two-factor), two counts, page.
CHANGELIST_MAX_QUERIES = 6


@pytest.fixture
def make_video():
    """A video as the create flow leaves it: charged to its user unless it failed.

    (The videos app's factory of the same name lives in its own conftest, out of reach.)
    """

    def make(user: User, *, seconds: int = 4, status: str = Video.Status.QUEUED):
        video = Video.objects.create(
            user=user,
            prompt="A lighthouse on a cliff at dusk",
            model="sora-2",
            size="1280x720",
            seconds=seconds,
            status=status,
        )
        if status != Video.Status.FAILED:
            UsageCharge.objects.create(user=user, video=video, seconds=seconds)
        return video

    return make


def listed(response) -> list[User]:
    return list(response.context["cl"].result_list)


def log_in(client, user) -> bool:
    """Log in through the real allauth form; True if a session was opened."""
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    return "_auth_user_id" in client.session


def run_action(staff_client, action: str, *users: User):
    return staff_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [u.pk for u in users]},
        follow=True,
    )


@pytest.mark.parametrize("rows", [1, 50])
def test_changelist_queries_do_not_grow_with_rows(
    rows, staff_client, staff_user, make_user, make_video, django_assert_max_num_queries
):
    for _ in range(rows - 1):  # the staff user is the first row
        make_video(make_user(), seconds=8)
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(listed(response)) == rows


def test_usage_counts_come_from_the_ledger(staff_client, user, make_video):
    for seconds in (4, 8, 12):
        make_video(user, seconds=seconds)
    make_video(user, seconds=12, status=Video.Status.FAILED)  # refunded: no charge
    response = staff_client.get(CHANGELIST, {"q": user.email})
    [row] = listed(response)
    assert row.video_count == 4
    assert row.videos_generated == 3
    assert row.seconds_generated == 24


def test_deleting_a_video_does_not_undo_what_was_generated(
    staff_client, user, make_video
):
    make_video(user, seconds=8)
    make_video(user, seconds=4).delete()
    [row] = listed(staff_client.get(CHANGELIST, {"q": user.email}))
    assert (row.video_count, row.videos_generated, row.seconds_generated) == (1, 2, 12)


def test_users_without_videos_show_zeros(staff_client, user):
    [row] = listed(staff_client.get(CHANGELIST, {"q": user.email}))
    assert (row.video_count, row.videos_generated, row.seconds_generated) == (0, 0, 0)


def test_sorting_by_seconds_generated(staff_client, make_user, make_video):
    light, heavy = make_user(name="Light"), make_user(name="Heavy")
    make_video(light, seconds=4)
    make_video(heavy, seconds=12)
    response = staff_client.get(CHANGELIST, {"o": "-8", "q": "example.com"})
    names = [u.name for u in listed(response)]
    assert names.index("Heavy") < names.index("Light")


def test_search_by_email_and_name(staff_client, make_user):
    ada = make_user(email="ada@lovelace.example", name="Ada Lovelace")
    grace = make_user(email="grace@navy.example", name="Grace Hopper")
    assert listed(staff_client.get(CHANGELIST, {"q": "lovelace.example"})) == [ada]
    assert listed(staff_client.get(CHANGELIST, {"q": "hopper"})) == [grace]


def test_filter_by_active(staff_client, user, make_user):
    banned = make_user(is_active=False)
    assert listed(staff_client.get(CHANGELIST, {"is_active__exact": "0"})) == [banned]
    assert banned not in listed(staff_client.get(CHANGELIST, {"is_active__exact": "1"}))


def test_each_user_links_to_their_videos(staff_client, user, other_user, make_video):
    mine = make_video(user)
    make_video(other_user)
    response = staff_client.get(CHANGELIST, {"q": user.email})
    link = f"/admin/videos/video/?user={user.pk}"
    assert f'href="{link}"' in response.text
    videos = staff_client.get(link)
    assert list(videos.context["cl"].result_list) == [mine]
    assert user.email in videos.text  # the sidebar names whose videos these are


def test_deactivate_bans_and_reactivate_restores(
    staff_client, user, client, make_video
):
    running = make_video(user, status=Video.Status.IN_PROGRESS)
    response = run_action(staff_client, "deactivate", user)
    assert "Deactivated 1 user" in response.text
    user.refresh_from_db()
    assert not user.is_active
    assert not log_in(client, user)
    running.refresh_from_db()
    assert running.status == Video.Status.IN_PROGRESS  # left to finish

    response = run_action(staff_client, "reactivate", user)
    assert "Reactivated 1 user" in response.text
    assert log_in(client, user)


def test_a_ban_ends_the_users_open_sessions(staff_client, user, user_client):
    assert user_client.get("/videos/").status_code == 200
    run_action(staff_client, "deactivate", user)
    response = user_client.get("/videos/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"  # told why, then logged out
    assert user_client.get("/videos/")["Location"].startswith("/accounts/login/")


def test_a_page_polling_after_a_ban_is_told_where_to_go_and_the_session_waits(
    staff_client, user, user_client, make_video
):
    """A running video's page asks for its status by itself: that request must not end
    the session (the person would see nothing), but say where the explanation is; the
    next page the person opens, or a reload, shows it."""
    running = make_video(user, status=Video.Status.IN_PROGRESS)
    run_action(staff_client, "deactivate", user)
    for url in (f"/videos/{running.pk}/status/", f"/videos/status/?ids={running.pk}"):
        response = user_client.get(url, headers={"Sec-Fetch-Mode": "cors"})
        assert response.status_code == 403
        assert response.json() == {
            "error": "A moderator has suspended this account.",
            "location": "/accounts/inactive/",
        }
    assert "_auth_user_id" in user_client.session  # not ended by the page's own asks
    response = user_client.get(
        f"/videos/{running.pk}/", headers={"Sec-Fetch-Mode": "navigate"}
    )
    assert response["Location"] == "/accounts/inactive/"
    assert "_auth_user_id" not in user_client.session


def test_a_request_without_fetch_metadata_after_a_ban_is_a_page(
    staff_client, user, user_client, make_video
):
    running = make_video(user, status=Video.Status.IN_PROGRESS)
    run_action(staff_client, "deactivate", user)
    response = user_client.get(f"/videos/{running.pk}/status/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    assert "_auth_user_id" not in user_client.session


def test_admins_cannot_ban_themselves(staff_client, staff_user, user):
    response = run_action(staff_client, "deactivate", staff_user, user)
    assert "You cannot deactivate your own account." in response.text
    assert "Deactivated 1 user" in response.text
    staff_user.refresh_from_db()
    assert staff_user.is_active


def test_the_ban_is_in_the_admin_history(staff_client, user):
    run_action(staff_client, "deactivate", user)
    history = staff_client.get(f"{CHANGELIST}{user.pk}/history/")
    assert "Deactivated (banned)." in history.text


def change_form_data(user: User, **changes) -> dict:
    data = {
        "email": user.email,
        "name": user.name,
        "daily_seconds_quota": "",
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return data


def test_quota_is_editable_on_the_change_form(staff_client, user):
    page = staff_client.get(f"{CHANGELIST}{user.pk}/change/")
    assert 'name="daily_seconds_quota"' in page.text
    response = staff_client.post(
        f"{CHANGELIST}{user.pk}/change/",
        change_form_data(user, daily_seconds_quota="300"),
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.daily_seconds_quota == 300
    assert user.effective_daily_quota == 300


def test_change_form_refuses_an_email_taken_in_another_case(
    staff_client, user, other_user
):
    response = staff_client.post(
        f"{CHANGELIST}{user.pk}/change/",
        change_form_data(user, email=other_user.email.upper()),
    )
    assert response.status_code == 200
    assert "Another account already uses this email address." in response.text


def test_change_page_shows_usage_and_the_password_link(staff_client, user, make_video):
    make_video(user, seconds=8)
    page = staff_client.get(f"{CHANGELIST}{user.pk}/change/")
    assert f"/admin/videos/video/?user={user.pk}" in page.text
    assert 'href="../password/"' in page.text
    assert "username" not in page.text.lower()
    assert staff_client.get(f"{CHANGELIST}{user.pk}/password/").status_code == 200


def test_password_change_through_the_admin(staff_client, user, client):
    new_password = "a-brand-new-passphrase-77"
    response = staff_client.post(
        f"{CHANGELIST}{user.pk}/password/",
        {
            "password1": new_password,
            "password2": new_password,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_add_form_creates_a_user_who_logs_in_once_the_address_is_confirmed(
    staff_client, client, mailoutbox
):
    page = staff_client.get(f"{CHANGELIST}add/")
    assert 'name="email"' in page.text and 'name="password2"' in page.text
    response = staff_client.post(
        f"{CHANGELIST}add/",
        {"email": "new@Example.COM", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    created = User.objects.get(email="new@example.com")
    assert created.is_active and not created.is_staff
    # An admin typing an address does not prove whose it is: the first login asks
    # its owner to confirm it, as a sign-up does.
    assert not log_in(client, created)
    [message] = mailoutbox
    assert message.to == ["new@example.com"]
    assert client.post(confirmation_path(message)).status_code == 302
    assert log_in(client, created)


def test_add_form_refuses_mismatched_passwords_and_taken_emails(staff_client, user):
    response = staff_client.post(
        f"{CHANGELIST}add/",
        {"email": "x@example.com", "password1": PASSWORD, "password2": "other"},
    )
    assert "The two password fields didn’t match." in response.text
    response = staff_client.post(
        f"{CHANGELIST}add/",
        {"email": user.email.upper(), "password1": PASSWORD, "password2": PASSWORD},
    )
    assert "Another account already uses this email address." in response.text
    assert User.objects.count() == 2


def test_non_staff_are_sent_to_the_admin_login(user_client):
    for url in ("/admin/", CHANGELIST):
        response = user_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
