"""Hostile input at everything a page reads: never a 5xx, on SQLite and PostgreSQL.

A property-based sweep (issue 16): every query parameter, request header and upload
that a view or admin page of ours reads gets NULs, control characters, lone
surrogates (sent as the invalid UTF-8 a real client can send), huge numbers,
malformed ids and dates, oversized values, and images whose header lies about their
size. Each request must be answered with less than 500. It runs on both databases;
CI runs it on PostgreSQL, which refuses NUL in text and integers beyond 64 bits, so
that is where most of what it guards against showed up.

Below the sweep, one regression test per 500 it found, named after what it was.
"""

import functools
import io
import struct
import zlib
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from videos.forms import REFERENCE_TOO_MANY_PIXELS
from videos.models import Video
from videos.tests.helpers import archived_at_emulator

pytestmark = pytest.mark.django_db

SWEEP = settings(
    max_examples=200,
    deadline=None,
    database=None,  # each run explores afresh; CI keeps no example database
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SWEEP_SLOW = settings(SWEEP, max_examples=60)
"""For examples that send several requests each: the module stays near a minute."""

# --- what hostile input looks like ----------------------------------------------------

EDGE_VALUES = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\x1b[31m",
    "\ufeff",
    "\u2028",
    "0",
    "-1",
    "-0",
    "²",
    "١٢",
    "1e309",
    "NaN",
    "inf",
    "0x10",
    "1.5",
    "9" * 19,
    "9" * 40,
    "9" * 5000,
    "x" * 10_000,
    "2024-13-45",
    "2024-02-30",
    "0001-01-01",
    "0001-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "10000-01-01",
    "-2024-01-01",
    "00000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-00000000000",
    "{00000000-0000-0000-0000-000000000000}",
    "urn:uuid:00000000-0000-0000-0000-000000000000",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "true",
    "True",
    "yes",
    "1,2",
    "-pk",
    "0.1.2",
    "-0.-1",
    "999.1",
    "_changelist_filters",
]

any_char = st.characters(exclude_categories=())  # surrogates and controls included
controls = st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\x85\u2028\ufeff")
hostile_text = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.text(any_char, max_size=30),
    st.text(controls, min_size=1, max_size=6),
    st.builds("{}\x00{}".format, st.text(max_size=5), st.text(max_size=5)),
    st.dates().map(str),
    st.datetimes().map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.uuids().map(str),
)


FORM_URLENCODED = "application/x-www-form-urlencoded"


def raw(value: str) -> bytes:
    """What a client puts on the wire: UTF-8, lone surrogates as invalid bytes."""
    return value.encode("utf-8", "surrogatepass")


def query_string(params: dict[str, str | list[str]]) -> str:
    """Percent-encoded raw bytes: a list value is the key repeated, as forms send it."""
    return "&".join(
        f"{quote(raw(key), safe='')}={quote(raw(item), safe='')}"
        for key, value in params.items()
        for item in (value if isinstance(value, list) else [value])
    )


def post_form(client: Client, url: str, form: dict[str, str | list[str]], **meta):
    """POST a form as a browser does, urlencoded; lone surrogates as invalid bytes.

    Django's test client would encode a dict itself and refuse a surrogate before
    anything reached the server, so the body is built here from the wire bytes.
    """
    return client.post(url, query_string(form), content_type=FORM_URLENCODED, **meta)


def header_value(value: str) -> str:
    """As WSGI hands a header to Django: its raw bytes read as Latin-1."""
    return raw(value).replace(b"\r", b"").replace(b"\n", b"").decode("latin-1")


def params_of(keys: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Some of the keys a page reads, each with a hostile value, and maybe junk keys."""
    known = st.fixed_dictionaries({}, optional=dict.fromkeys(keys, hostile_text))
    junk = st.dictionaries(hostile_text, hostile_text, max_size=2)
    return st.builds(lambda extra, read: {**extra, **read}, junk, known)


numbers = st.one_of(
    st.integers(min_value=0, max_value=5000).map(str),
    st.integers(min_value=0, max_value=10**30).map(str),
    st.sampled_from(["", "9" * 5000, "١٢", "²", "-1", "0"]),
)
ranges = st.one_of(
    st.builds("bytes={}-{}".format, numbers, numbers),
    st.builds("bytes=-{}".format, numbers),
    st.builds("bytes={}-{},{}-{}".format, numbers, numbers, numbers, numbers),
    st.sampled_from(["bytes=", "bytes=-", "items=0-1", "bytes = 1 - 2", "bytes=0-0"]),
    hostile_text,
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_RANGE": ranges.map(header_value),
        "HTTP_IF_RANGE": hostile_text.map(header_value),
        "HTTP_IF_NONE_MATCH": hostile_text.map(header_value),
        "HTTP_IF_MODIFIED_SINCE": hostile_text.map(header_value),
        "HTTP_ACCEPT": hostile_text.map(header_value),
        "HTTP_REFERER": hostile_text.map(header_value),
        "HTTP_X_FORWARDED_FOR": hostile_text.map(header_value),
    },
)


def close(response) -> None:
    """Close a streamed body unread, as a browser going away does.

    The test client closes other responses itself; closing one again would close the
    test's database connection (`request_finished`), so that signal is held back.
    """
    if response.streaming:
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)


def assert_answered(response, what: object) -> None:
    """Less than 500 (and the body, if streamed, closed)."""
    close(response)
    assert response.status_code < 500, (response.status_code, what)


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def roomy_limits(settings):
    settings.DAILY_SECONDS_QUOTA = 10**6
    settings.RATE_LIMIT_SITE = "100000/m"
    settings.RATE_LIMIT_CREATE = "100000/m"


@pytest.fixture
def videos(user, emulator, make_video, completed_video) -> list[Video]:
    """One of each kind a page may show: running, proxied, archived, hidden."""
    return [
        make_video(user, status=Video.Status.IN_PROGRESS, progress=40),
        completed_video(user),
        archived_at_emulator(
            user,
            emulator,
            prompt="An archived harbour",
            model="sora-2",
            size="1280x720",
            seconds=4,
        ),
        make_video(user, status=Video.Status.COMPLETED, hidden=True),
    ]


# --- the sweep: the product's pages -----------------------------------------------------


@SWEEP
@given(params=params_of(["q", "status", "page"]))
def test_list_page_query(user_client, videos, params):
    assert_answered(user_client.get("/videos/?" + query_string(params)), params)


@SWEEP
@given(params=params_of(["from"]))
def test_create_page_query(user_client, videos, params):
    assert_answered(user_client.get("/videos/new/?" + query_string(params)), params)


@SWEEP
@given(params=params_of(["ids"]), ids=st.lists(hostile_text, max_size=14))
def test_statuses_query(user_client, videos, params, ids):
    params.setdefault("ids", ",".join([*ids, str(videos[0].pk)]))
    url = "/videos/status/?" + query_string(params)
    assert_answered(user_client.get(url), params)


@SWEEP
@given(
    params=params_of(["variant", "download"]),
    variant=st.sampled_from(["video", "thumbnail", "spritesheet", "reference"]),
    meta=headers,
    method=st.sampled_from(["get", "head"]),
    which=st.sampled_from([1, 2]),
)
def test_content_query_and_headers(
    user_client, videos, params, variant, meta, method, which
):
    """Proxied (videos[1]) and archived (videos[2]) copies, every header they read."""
    params.setdefault("variant", variant)
    url = f"/videos/{videos[which].pk}/content/?" + query_string(params)
    response = getattr(user_client, method)(url, **meta)
    assert_answered(response, (params, meta))


@SWEEP_SLOW
@given(meta=headers)
def test_other_pages_headers(user_client, videos, meta):
    for url in [
        "/videos/",
        f"/videos/{videos[0].pk}/",
        f"/videos/{videos[0].pk}/status/",
        "/accounts/profile/",
        "/health",
        "/",
    ]:
        assert_answered(user_client.get(url, **meta), (url, meta))


@SWEEP_SLOW
@given(meta=headers)
@override_settings(RATE_LIMIT_SITE="1/h")
def test_rate_limited_page_headers(user, client_for, meta):
    """The 429 page reads Referer (and Host) to offer a way back."""
    client = client_for(user)
    cache.clear()
    client.get("/videos/")
    response = client.get("/accounts/profile/", **meta)
    assert response.status_code == 429
    assert_answered(response, meta)


@SWEEP_SLOW
@given(forwarded=hostile_text.map(header_value), hops=st.sampled_from([1, 2, 3]))
def test_forwarded_for_behind_proxies(client, user_client, forwarded, hops):
    """With TRUSTED_PROXY_HOPS set, X-Forwarded-For picks the address limits count.

    The client writes whatever it likes on the left; each of our proxies appends the
    address it saw, so the last `hops` entries are always real addresses.
    """
    cache.clear()
    appended = ["203.0.113.7", *(f"10.0.0.{n}" for n in range(1, hops))]
    meta = {"HTTP_X_FORWARDED_FOR": ", ".join([forwarded, *appended])}
    login = {"login": "nobody@example.com", "password": "wrong-password"}
    with override_settings(TRUSTED_PROXY_HOPS=hops, ALLAUTH_TRUSTED_PROXY_COUNT=hops):
        assert_answered(client.get("/accounts/login/", **meta), meta)
        assert_answered(post_form(client, "/accounts/login/", login, **meta), meta)
        assert_answered(user_client.get("/videos/", **meta), meta)


@SWEEP_SLOW
@given(params=params_of(["next", "key", "email"]))
def test_anonymous_pages_query(client, params):
    """What a visitor reaches: `next` and friends, and the redirect to log in."""
    query = query_string(params)
    for url in [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/videos/",
    ]:
        assert_answered(client.get(f"{url}?{query}"), (url, params))


@SWEEP_SLOW
@given(
    form=params_of(["login", "email", "password", "password1", "password2", "remember"])
)
def test_anonymous_forms_post(client, user, form):
    """Log-in, sign-up and reset forms: hostile fields are form errors, not 500s."""
    cache.clear()  # each example starts under allauth's per-IP limits
    for url in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        assert_answered(post_form(client, url, form), (url, form))


# --- the sweep: uploads -------------------------------------------------------------------


def png_with_header(width: int, height: int, *, bit_depth: int = 8) -> bytes:
    """A PNG whose IHDR says width×height, with one tiny IDAT: a header that lies."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def jpeg_with_header(width: int, height: int) -> bytes:
    """A real JPEG whose SOF0 frame header is rewritten to claim width×height."""
    data = bytearray(image_bytes("JPEG", "RGB", (16, 16)))
    at = data.index(b"\xff\xc0") + 5
    data[at : at + 4] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_with_canvas(width: int, height: int) -> bytes:
    """An extended (VP8X) WebP whose canvas claims width×height (24 bits each)."""
    frame = image_bytes("WEBP", "RGB", (16, 16))[12:]  # the VP8 chunk of a real one
    flags = b"\x00\x00\x00\x00"
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    vp8x = b"VP8X" + struct.pack("<I", 10) + flags + canvas
    body = b"WEBP" + vp8x + frame
    return b"RIFF" + struct.pack("<I", len(body)) + body


@functools.cache
def image_bytes(fmt: str, mode: str, size: tuple[int, int], **save) -> bytes:
    """A plain image, made once per kind (some are big)."""
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (1280, 720), color) for color in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def exif_rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show
    return image_bytes("JPEG", "RGB", (720, 1280), exif=exif.tobytes())


dimension = st.one_of(
    st.integers(min_value=0, max_value=2**31 - 1),
    st.sampled_from([1280, 720, 10_000, 20_000, 65_535]),
)
webp_dimension = st.integers(min_value=1, max_value=2**24)
valid_images = st.sampled_from(
    [
        ("PNG", "RGB", (1280, 720)),
        ("JPEG", "RGB", (1280, 720)),
        ("WEBP", "RGB", (1280, 720)),
        ("JPEG", "CMYK", (1280, 720)),
        ("PNG", "I;16", (1280, 720)),
        ("PNG", "P", (64, 64)),
        ("GIF", "P", (1280, 720)),
        ("BMP", "RGB", (1280, 720)),
        ("TIFF", "RGB", (1280, 720)),
        ("PNG", "1", (9000, 9000)),  # 81 million pixels in a few kilobytes
    ]
).map(lambda spec: image_bytes(*spec))
OVERSIZED = png_with_header(1280, 720) + bytes(10 * 1024 * 1024)
"""A real PNG's header, then more than the 10 MB a reference image may have."""
lying_images = st.one_of(
    st.builds(png_with_header, dimension, dimension),
    st.builds(jpeg_with_header, st.integers(0, 65_535), st.integers(0, 65_535)),
    st.builds(webp_with_canvas, webp_dimension, webp_dimension),
)
special_images = st.sampled_from(["webp", "png", "exif", "16bit"]).map(
    lambda kind: {
        "webp": lambda: animated("WEBP"),
        "png": lambda: animated("PNG"),
        "exif": exif_rotated_jpeg,
        "16bit": lambda: png_with_header(1280, 720, bit_depth=16),
    }[kind]()
)
MAGIC = [
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"GIF89a",
]


@st.composite
def damaged(draw, images: st.SearchStrategy[bytes]) -> bytes:
    """Cut short, bytes flipped, or garbage behind a real format's magic."""
    data = draw(images)
    how = draw(st.sampled_from(["truncate", "flip", "magic"]))
    if how == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if how == "flip":
        at = draw(st.integers(0, len(data) - 1))
        return (
            data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        )
    return draw(st.sampled_from(MAGIC)) + draw(st.binary(max_size=200))


uploads = st.one_of(
    valid_images,
    lying_images,
    special_images,
    damaged(valid_images | lying_images),
    st.binary(max_size=64),
    st.just(OVERSIZED),
)


@SWEEP
@given(
    data=uploads,
    name=st.sampled_from(
        ["ref.png", "ref.jpg", "ref.webp", "ref", "\x00.png", "a" * 300]
    ),
    model=st.sampled_from(["sora-2", "sora-2-pro"]),
    size=st.sampled_from(["1280x720", "720x1280"]),
)
def test_reference_upload(user_client, emulator, data, name, model, size):
    """Every reference image is read, refused with a form error, or sent on."""
    cache.clear()
    upload = SimpleUploadedFile(name, data, content_type="image/png")
    form = {
        "prompt": "A paper boat on a rain-soaked street",
        "model": model,
        "size": size,
        "seconds": "4",
        "input_reference": upload,
    }
    assert_answered(user_client.post("/videos/new/", form), (name, data[:40]))


# --- the sweep: the admin -------------------------------------------------------------

VIDEO_CHANGELIST_KEYS = [
    "status__exact",
    "status",
    "model",
    "hidden__exact",
    "stuck",
    "unconfirmed",
    "archive_problem",
    "user",
    "created_at__gte",
    "created_at__lt",
    "created_at__isnull",
    "q",
    "o",
    "p",
    "all",
    "e",
    "_popup",
    "_to_field",
    "_changelist_filters",
    "user__id__exact",
    "user__email",
    "prompt__regex",  # Django allows any lookup on the model's own fields
    "status__iregex",
    "seconds__gt",
    "progress__in",
    "duration__lte",
]
USER_CHANGELIST_KEYS = [
    "is_active__exact",
    "is_staff__exact",
    "is_superuser__exact",
    "q",
    "o",
    "p",
    "all",
    "e",
    "_popup",
    "_to_field",
    "_changelist_filters",
    "groups__id__exact",
    "date_joined__gte",
    "email__regex",
    "id__in",
    "daily_seconds_quota__gt",
]


ZONES = ["UTC", "Asia/Tokyo", "America/Los_Angeles"]


@SWEEP
@given(params=params_of(VIDEO_CHANGELIST_KEYS), zone=st.sampled_from(ZONES))
def test_video_changelist_query(staff_client, videos, params, zone):
    url = "/admin/videos/video/?" + query_string(params)
    with override_settings(TIME_ZONE=zone):  # dates in filters are in the site's zone
        assert_answered(staff_client.get(url), (params, zone))


@SWEEP
@given(params=params_of(USER_CHANGELIST_KEYS))
def test_user_changelist_query(staff_client, videos, params):
    url = "/admin/accounts/user/?" + query_string(params)
    assert_answered(staff_client.get(url), params)


@SWEEP
@given(
    object_id=hostile_text.filter(bool),
    page=st.sampled_from(
        [
            "videos/video/{}/change/",
            "videos/video/{}/history/",
            "videos/video/{}/delete/",
            "accounts/user/{}/change/",
            "accounts/user/{}/password/",
            "accounts/user/{}/history/",
            "r/1/{}/",
            "r/{}/1/",
        ]
    ),
    params=params_of(["_changelist_filters", "_popup", "_to_field"]),
)
def test_admin_object_pages(staff_client, videos, object_id, page, params):
    url = "/admin/" + page.format(quote(raw(object_id), safe="")) + "?"
    url += query_string(params)
    assert_answered(staff_client.get(url), url)


@SWEEP
@given(
    action=st.sampled_from(
        [
            "hide",
            "unhide",
            "retry",
            "give_up",
            "verify_archive",
            "delete_selected",
            "deactivate",
            "reactivate",
        ]
    )
    | hostile_text,
    selected=st.lists(hostile_text | st.uuids().map(str), max_size=4),
    extra=params_of(["select_across", "index", "reason", "apply"]),
    which=st.sampled_from(["videos/video", "accounts/user"]),
)
def test_admin_actions_post(staff_client, videos, action, selected, extra, which):
    form = {**extra, "action": action, "_selected_action": selected}
    assert_answered(post_form(staff_client, f"/admin/{which}/", form), form)


# --- regressions: each 500 the sweep found, by what it was ---------------------------


def test_list_search_for_a_nul(user_client, user, make_video):
    """`?q=%00` reached PostgreSQL as text with a NUL in it (DataError, a 500)."""
    fox = make_video(user, prompt="A fox in the snow")
    make_video(user, prompt="A hare in the snow")
    response = user_client.get("/videos/?q=fox%00")
    assert response.status_code == 200
    assert response.context["query"] == "fox"
    assert [version.pk for version in response.context["page"].versions] == [fox.pk]
    assert "A fox in the snow" in response.text


@pytest.mark.parametrize(
    "query",
    ["status__exact=%00", "model=%00", "q=%00", "status__exact=%00&status__exact=x"],
)
def test_video_changelist_with_a_nul(staff_client, make_video, user, query):
    """A NUL in a filter or the search went to PostgreSQL as text (DataError)."""
    make_video(user)
    response = staff_client.get(f"/admin/videos/video/?{query}")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_user_changelist_search_for_a_nul(staff_client):
    response = staff_client.get("/admin/accounts/user/?q=a%00b")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize("value", ["²", "١٢", "9" * 30])
def test_video_changelist_user_filter_not_an_id(staff_client, make_video, user, value):
    """`str.isdigit` took "²" and "١٢" (then int() failed), and PostgreSQL no bigint
    past 2**63: the user filter now shows no videos for them."""
    make_video(user)
    response = staff_client.get("/admin/videos/video/?" + query_string({"user": value}))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_user_filter_still_filters_by_a_real_id(
    staff_client, make_video, user, other_user
):
    mine = make_video(user)
    make_video(other_user)
    response = staff_client.get(f"/admin/videos/video/?user={user.pk}")
    assert list(response.context["cl"].result_list) == [mine]


@pytest.mark.parametrize("page", ["videos/video", "accounts/user"])
def test_admin_change_page_with_an_empty_to_field(staff_client, make_video, user, page):
    """`?_to_field=` made Django look up a field named "" (FieldDoesNotExist)."""
    object_id = make_video(user).pk if page == "videos/video" else user.pk
    response = staff_client.get(f"/admin/{page}/{object_id}/change/?_to_field=")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("videos/video", "prompt__regex=*"),
        ("videos/video", "status__iregex=(("),
        ("accounts/user", "email__regex=*"),
    ],
)
def test_changelist_regex_lookup(staff_client, make_video, user, page, query):
    """Django allows any lookup on a model's own fields; PostgreSQL then refused
    the pattern (DataError, a 500)."""
    make_video(user)
    assert staff_client.get(f"/admin/{page}/?{query}").status_code == 400


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    "query",
    [
        "created_at__gte=0001-01-01",
        "created_at__gte=0001-01-01+00:00:00",
        "created_at__lt=9999-12-31",
        "created_at__gte=2020-01-01&created_at__lt=2999-01-01",
    ],
)
def test_video_changelist_dates_typed_without_an_offset(
    staff_client, make_video, user, settings, zone, query
):
    """Django compared the naive datetime as is: a RuntimeWarning (an error under
    test, so a 500) and, for year 1 east of UTC, an overflow converting to UTC."""
    settings.TIME_ZONE = zone
    video = make_video(user)
    response = staff_client.get(f"/admin/videos/video/?{query}")
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert list(response.context["cl"].result_list) == [video]
    else:  # year 1 in this zone is before the first moment in UTC
        assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    ("page", "selected"),
    [
        ("videos/video", ""),
        ("videos/video", "not-a-uuid"),
        ("accounts/user", "x\x00"),
        ("accounts/user", "9999999999999999999"),  # past a 64-bit id: SQLite's 500
    ],
)
def test_admin_action_on_a_malformed_id(staff_client, make_video, user, page, selected):
    """Django filtered by the posted ids: a malformed one raised ValidationError."""
    video = make_video(user)
    form = {"action": "hide", "_selected_action": [selected]}
    response = staff_client.post(f"/admin/{page}/", form)
    assert response.status_code == 400
    assert "is not the id of any" in response.content.decode()
    video.refresh_from_db()
    assert not video.hidden


def test_content_range_with_bytes_that_are_not_ascii(
    user_client, user, completed_video
):
    """Forwarded to the host as is, a Latin-1 byte in Range could not even be sent
    (httpx: UnicodeEncodeError); junk like " " made the host fail (our 502)."""
    video = completed_video(user)
    for junk in ["bytes=\xc2\x80-", " ", "bytes=0-1,5-9", "bytes=١-٢"]:
        response = user_client.get(f"/videos/{video.pk}/content/", HTTP_RANGE=junk)
        assert response.status_code == 200, junk  # ignored: the whole file
        assert "Content-Range" not in response
        close(response)


def test_archived_content_range_with_thousands_of_digits(user, user_client, emulator):
    """int() refuses numbers of over 4300 digits: a ValueError, a 500."""
    video = archived_at_emulator(
        user, emulator, prompt="A heron", model="sora-2", size="1280x720", seconds=4
    )
    huge = "9" * 5000
    response = user_client.get(
        f"/videos/{video.pk}/content/", HTTP_RANGE=f"bytes={huge}-"
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{video.archive_size}"
    response = user_client.get(
        f"/videos/{video.pk}/content/", HTTP_RANGE=f"bytes=-{huge}"
    )
    assert response.status_code == 206
    assert response["Content-Range"].startswith("bytes 0-")
    close(response)


def test_relayed_416_says_how_long_the_file_is(
    user_client, user, completed_video, sample_bytes, settings
):
    """The host's 416 was relayed without its Content-Range (RFC 9110 wants one)."""
    settings.VIDEO_ARCHIVE = False
    video = completed_video(user)
    response = user_client.get(
        f"/videos/{video.pk}/content/", HTTP_RANGE="bytes=999999999-"
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(sample_bytes)}"


@pytest.mark.parametrize(
    "data",
    [
        png_with_header(20_000, 20_000),
        png_with_header(10_000, 10_000),
        jpeg_with_header(65_000, 65_000),
        webp_with_canvas(16_384, 16_384),
    ],
    ids=["png-400-megapixels", "png-100-megapixels", "jpeg", "webp"],
)
def test_reference_image_whose_header_claims_a_huge_size(user_client, emulator, data):
    """Pillow refuses to open a decompression bomb (an exception nobody caught)."""
    upload = SimpleUploadedFile("ref.png", data, content_type="image/png")
    form = {
        "prompt": "A paper boat on a rain-soaked street",
        "model": "sora-2",
        "size": "1280x720",
        "seconds": "4",
        "input_reference": upload,
    }
    response = user_client.post("/videos/new/", form)
    assert response.status_code == 200
    errors = response.context["form"].errors["input_reference"]
    assert errors == [REFERENCE_TOO_MANY_PIXELS.format(limit=89)]
    assert not Video.objects.exists()
