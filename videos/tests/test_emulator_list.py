"""Listing videos on the emulator (`GET /v1/videos`), over raw HTTP.

Covers the list route in videos/emulator/videos_api.py: pages newest first or in
ascending order, the default page of 20, an empty list, deleted videos left out but still
a valid `after` cursor (state.py), and the validation of limit, order and after.
"""

import pytest

from videos.tests.emulator_http import VIDEO_KEYS, call, create


def test_list_pages_newest_first(emulator):
    ids = [create(emulator, f"Video {n}")["id"] for n in range(5)]

    first = call(emulator, "GET", "/v1/videos", query={"limit": 2}).json()
    second = call(
        emulator, "GET", "/v1/videos", query={"limit": 2, "after": first["last_id"]}
    ).json()
    third = call(
        emulator, "GET", "/v1/videos", query={"limit": 2, "after": second["last_id"]}
    ).json()

    assert first["object"] == "list"
    assert [v["id"] for v in first["data"]] == [ids[4], ids[3]]
    assert (first["first_id"], first["last_id"], first["has_more"]) == (
        ids[4],
        ids[3],
        True,
    )
    assert [v["id"] for v in second["data"]] == [ids[2], ids[1]]
    assert second["has_more"] is True
    assert [v["id"] for v in third["data"]] == [ids[0]]
    assert third["has_more"] is False
    assert set(third["data"][0]) == VIDEO_KEYS


def test_list_in_ascending_order(emulator):
    ids = [create(emulator, f"Video {n}")["id"] for n in range(3)]

    page = call(
        emulator, "GET", "/v1/videos", query={"order": "asc", "after": ids[0]}
    ).json()

    assert [v["id"] for v in page["data"]] == ids[1:]


def test_list_shows_20_by_default(emulator):
    for n in range(21):
        create(emulator, f"Video {n}")

    page = call(emulator, "GET", "/v1/videos").json()

    assert len(page["data"]) == 20
    assert page["has_more"] is True


def test_an_empty_list(emulator):
    page = call(emulator, "GET", "/v1/videos").json()

    assert page == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


def test_deleted_videos_are_not_listed_but_remain_a_valid_cursor(emulator):
    first, second, third = (create(emulator, f"Video {n}")["id"] for n in range(3))
    call(emulator, "DELETE", f"/v1/videos/{second}")

    listed = call(emulator, "GET", "/v1/videos").json()
    after_deleted = call(emulator, "GET", "/v1/videos", query={"after": second}).json()

    assert [v["id"] for v in listed["data"]] == [third, first]
    assert [v["id"] for v in after_deleted["data"]] == [first]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"order": "up"}, "order"),
        ({"after": "video_unknown"}, "after"),
    ],
)
def test_list_validation(emulator, query, param):
    reply = call(emulator, "GET", "/v1/videos", query=query)

    assert reply.status == 400
    assert reply.error()["param"] == param
