"""Django-side jobs of the benchmarks, run in a child process with the bench's environment.

`python bench/tasks.py NAME '{"json": "params"}'` sets Django up against the database in
DATABASE_URL, does one job (seed rows, count queries, reset the poller's due times) and
prints its answer as one JSON line. The same as a `manage.py shell -c` script, but as a
module that ruff checks; `workspace.Workspace.task` runs it.
"""

import cProfile
import itertools
import json
import pstats
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import django

django.setup()

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from videos import storage_urls
from videos.models import Video

Status = Video.Status

PAGES_STATUS_MIX = (
    [Status.COMPLETED] * 20
    + [Status.IN_PROGRESS] * 8
    + [Status.QUEUED] * 8
    + [Status.FAILED] * 6
    + [Status.PENDING] * 4
    + [Status.EXPIRED] * 4
)
"""50 videos in every status the list page shows, completed ones (thumbnails) most."""


def make_user(email: str, password: str) -> User:
    """A user allauth lets log in by email (a verified, primary address)."""
    user = User.objects.create_user(email=email, password=password, name="Bench")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_users(emails: list[str], password: str) -> list[User]:
    """Many such users, the password hashed once (PBKDF2 takes ~0.3 s per hash)."""
    hashed = make_password(password)
    users = User.objects.bulk_create(
        [User(email=email, password=hashed, name="Bench") for email in emails]
    )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=user, email=user.email, verified=True, primary=True)
            for user in users
        ]
    )
    return users


def seed_streaming(
    *, email: str, password: str, openai_video_id: str, archived_bytes: int
) -> dict:
    """One user with two completed videos of the same upstream video.

    The first has no archived copy (the content view proxies it); the second has one,
    an `archived_bytes` file of the emulator's pattern (byte i = i % 256) in
    MEDIA_ROOT, as the poller's archive step would have left it.
    """
    user = make_user(email, password)
    now = timezone.now()
    fields = {
        "user": user,
        "model": "sora-2",
        "size": "720x1280",
        "seconds": 4,
        "status": Status.COMPLETED,
        "progress": 100,
        "submitted_at": now,
        "completed_at": now,
        "expires_at": now + timedelta(hours=1),
        "next_poll_at": None,
    }
    proxied = Video.objects.create(
        prompt="A 1 GiB benchmark body", openai_video_id=openai_video_id, **fields
    )
    archived = Video.objects.create(prompt="The same, archived", **fields)
    name = f"archive/{archived.pk}/video.mp4"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pattern = bytes(range(256)) * 4096
    with path.open("wb") as out:
        for start in range(0, archived_bytes, len(pattern)):
            out.write(pattern[: min(len(pattern), archived_bytes - start)])
    Video.objects.filter(pk=archived.pk).update(
        archived_video=name,
        archive_size=archived_bytes,
        archive_sha256="0" * 64,
        archived_at=now,
    )
    return {"video_id": str(proxied.pk), "archived_video_id": str(archived.pk)}


def store_archive(*, video_id: str) -> dict:
    """Put an archived video's file (from `seed_streaming`) into the default storage.

    Run with STORAGE_BACKEND/STORAGE_OPTIONS naming a bucket: the file goes there under
    the name the row already has, so the same row is served from MEDIA_ROOT or from the
    bucket depending only on the settings of the process serving it. Creates the bucket
    when it is missing (a fresh moto server has none).
    """
    video = Video.objects.get(pk=video_id)
    name = storage_urls.stored_name(video.archived_video)
    # Imported here: boto3 comes with it, and only this job needs it.
    from storages.backends.s3 import S3Storage

    # isinstance, not storage_urls.is_object_storage: it tells the type checker too.
    if isinstance(default_storage, S3Storage):  # default_storage's proxy passes it on
        bucket = default_storage.bucket
        if bucket.creation_date is None:
            bucket.create()
    with (Path(settings.MEDIA_ROOT) / name).open("rb") as source:
        stored = default_storage.save(name, File(source, name=name))
    size = default_storage.size(stored)
    if stored != name or size != video.archive_size:
        raise RuntimeError(f"stored {stored!r} ({size} bytes), wanted {name!r}")
    return {
        "name": stored,
        "bytes": size,
        "backend": settings.STORAGES["default"]["BACKEND"],
    }


def seed_pages(*, email: str, password: str, users: int) -> dict:
    """`users` users, each with the same 50 videos of mixed statuses, a minute apart.

    The first logs in through the real form (the benchmark does it); for the others a
    session is made here (`force_login`), since allauth allows 5 logins per IP per
    15 minutes. Their session ids come back for the load generator to rotate.
    """
    now = timezone.now()
    emails = [email] + [email.replace("@", f"+{n}@") for n in range(1, users)]
    sessions = []
    for number, user in enumerate(make_users(emails, password)):
        Video.objects.bulk_create(_list_videos(user, now, number))
        if number:
            client = Client()
            client.force_login(user)
            sessions.append(client.cookies["sessionid"].value)
    mix = Counter(str(status) for status in PAGES_STATUS_MIX)
    return {"users": users, "videos_per_user": dict(mix), "sessions": sessions}


def _list_videos(user: User, now: datetime, user_number: int) -> list[Video]:
    videos = []
    for n, status in enumerate(PAGES_STATUS_MIX):
        created = now - timedelta(minutes=n)
        finished = status in (Status.COMPLETED, Status.EXPIRED)
        running = status in Video.RUNNING_STATUSES
        videos.append(
            Video(
                user=user,
                prompt=f"Benchmark video {n}: a lighthouse at dusk, waves, slow pan",
                model="sora-2" if n % 3 else "sora-2-pro",
                size="720x1280" if n % 2 else "1280x720",
                seconds=(4, 8, 12)[n % 3],
                status=status,
                progress={
                    Status.IN_PROGRESS: 40,
                    Status.COMPLETED: 100,
                    Status.EXPIRED: 100,
                }.get(status, 0),
                openai_video_id=(
                    None
                    if status == Status.PENDING
                    else f"video_pg{user_number:05d}_{n:03d}"
                ),
                error_message="Generation failed." if status == Status.FAILED else "",
                created_at=created,
                submitted_at=None if status == Status.PENDING else created,
                completed_at=created if finished else None,
                # Far ahead: no poller runs here, and none of these is due.
                next_poll_at=now + timedelta(days=1) if running else None,
            )
        )
    return videos


def count_list_queries(*, email: str) -> dict:
    """SQL statements one GET /videos/ runs, with the test Client in this process.

    The session is made first (force_login); only the page request is counted, the
    same middleware, view and template as gunicorn runs.
    """
    user = User.objects.get(email=email)
    answers = {}
    for path in (
        "/videos/",
        "/videos/?page=2",
        "/videos/?status=completed&q=lighthouse",
    ):
        client = Client()
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        answers[path] = {
            "status": response.status_code,
            "queries": len(captured.captured_queries),
            "sql": [query["sql"] for query in captured.captured_queries],
        }
    return answers


def profile_detail_page(*, email: str, requests: int = 200) -> dict:
    """One video's page (a finished one, a running one): its SQL statements and its
    CPU time per request with the test Client in this process, best of five rounds.

    Requests rotate over 20 users' copies of the same video (the site limit allows
    300 per user per 15 minutes, and the list's profile spent some already).
    """
    users = list(User.objects.filter(email__startswith=email.split("@")[0])[:20])
    answers = {}
    for status in (Video.Status.COMPLETED, Video.Status.IN_PROGRESS):
        pages = []
        for user in users:
            client = Client()
            client.force_login(user)
            video = Video.objects.filter(user=user, status=status).first()
            if video is not None:
                pages.append((client, f"/videos/{video.pk}/"))
        if not pages:
            continue
        for client, path in pages:
            client.get(path)  # templates compiled, caches warm
        client, path = pages[0]
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        # Read now: the property reads the connection's log, which the next request
        # empties.
        sql = [query["sql"] for query in captured.captured_queries]
        rotation = itertools.cycle(pages)
        rounds = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(requests // 5):
                client, path = next(rotation)
                client.get(path)
            rounds.append((time.process_time() - started) * 1000 / (requests // 5))
        answers[str(status)] = {
            "status": response.status_code,
            "queries": len(sql),
            "sql": sql,
            "cpu_ms_per_request": round(min(rounds), 2),
        }
    return answers


LIST_PAGE_PARTS = {
    # label: (file suffix, function) whose cumulative time is reported
    "whole request": ("django/core/handlers/base.py", "get_response"),
    "session load (Redis, cached_db)": ("sessions/backends/cached_db.py", "load"),
    "request.user: session + user (1 SELECT)": (
        "django/contrib/auth/__init__.py",
        "get_user",
    ),
    "site rate limit (Redis)": ("django_ratelimit/core.py", "is_ratelimited"),
    "view: video_list": ("videos/views.py", "video_list"),
    "view: the page's card versions and count (one query)": (
        "videos/list_rows.py",
        "page_rows",
    ),
    "view: cards (cache read, renders of missing ones)": (
        "videos/cards.py",
        "cards_for",
    ),
    "view: template render (content from the cache when all cards are finished)": (
        "django/shortcuts.py",
        "render",
    ),
    "URL reversing ({% url %}, get_absolute_url)": ("django/urls/base.py", "reverse"),
}
"""(The test Client skips CONN_HEALTH_CHECKS' per-request SELECT 1: it disconnects
`close_old_connections` from the request signals.)"""


def profile_list_page(*, email: str, requests: int = 300) -> dict:
    """Where one GET /videos/ spends its time: plain timing, then cProfile shares.

    Requests rotate over 50 users (the site limit allows 100 per user per 15
    minutes).
    """
    clients = []
    for user in User.objects.filter(email__startswith=email.split("@")[0])[:50]:
        client = Client()
        client.force_login(user)
        clients.append(client)
    rotation = itertools.cycle(clients)
    # Each test Client builds its own handler (middleware, WhiteNoise's file scan)
    # on its first request: warm every one up before measuring.
    for _ in range(2 * len(clients)):
        next(rotation).get("/videos/")
    started = time.perf_counter()
    for _ in range(requests):
        next(rotation).get("/videos/")
    plain_ms = (time.perf_counter() - started) * 1000 / requests
    health = Client()
    health.get("/health")
    started = time.perf_counter()
    for _ in range(requests):
        health.get("/health")
    health_ms = (time.perf_counter() - started) * 1000 / requests
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        next(rotation).get("/videos/")
    profile.disable()
    # (file, line, function): (primitive calls, calls, self time, cumulative, callers)
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, dict]]
    # Stats sets `stats` in its constructor; typeshed does not declare it.
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]  # real, untyped
    total = None
    parts = {}
    for label, (suffix, function) in LIST_PAGE_PARTS.items():
        seconds = sum(
            value[3]
            for (filename, _, name), value in stats.items()
            if name == function and filename.endswith(suffix)
        )
        if label == "whole request":
            total = seconds
        parts[label] = round(seconds / total, 3) if total else None
    return {
        "list_ms_per_request": round(plain_ms, 2),
        "health_ms_per_request": round(health_ms, 2),
        "shares_under_cprofile": parts,
        "how": "Django test Client in one process, no gunicorn; cProfile cumulative"
        " time of each part over the whole request",
    }


def seed_poller(*, email: str, ids_file: str) -> dict:
    """`queued` videos, one per emulator id (one per line of `ids_file`), all due now.

    Replaces the videos of an earlier seeding (another emulator, other ids).
    """
    with open(ids_file) as lines:
        ids = [line.strip() for line in lines if line.strip()]
    Video.objects.all().delete()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None)
    now = timezone.now()
    Video.objects.bulk_create(
        [
            Video(
                user=user,
                prompt=f"bench video {n}",
                model="sora-2",
                size="720x1280",
                seconds=4,
                status=Status.QUEUED,
                openai_video_id=openai_id,
                submit_attempted_at=now,
                submitted_at=now,
                last_upstream_answer_at=now,
                next_poll_at=now,
            )
            for n, openai_id in enumerate(ids)
        ],
        batch_size=500,
    )
    return {"created": len(ids)}


TASKS: dict[str, Callable[..., dict]] = {
    "seed-streaming": seed_streaming,
    "store-archive": store_archive,
    "seed-pages": seed_pages,
    "count-list-queries": count_list_queries,
    "profile-list-page": profile_list_page,
    "profile-detail-page": profile_detail_page,
    "seed-poller": seed_poller,
}


def main(argv: list[str]) -> None:
    name, params = argv[1], json.loads(argv[2]) if len(argv) > 2 else {}
    answer: Any = TASKS[name](**params)
    print(json.dumps(answer, default=str))


if __name__ == "__main__":
    main(sys.argv)
