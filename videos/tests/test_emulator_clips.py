"""The emulator's real clips, through the real `openai` SDK over HTTP.

A completed video's content is an MP4 of exactly its size and length (with a WebP
poster and spritesheet made from it under the `openai` profile), made once per size
and length and kept in a clip cache on disk (`videos.emulator.clips`). These tests
download what the SDK downloads and read it back with `videos.media`.
"""

import hashlib
import http.client
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import openai
import pytest
from django.core.management import call_command
from PIL import Image

from videos import media
from videos.emulator import EmulatorServer, clips
from videos.emulator.clips import ClipCache, ClipError, ClipSpec, default_directory
from videos.emulator.control import EmulatorClient
from videos.tests.emulator_fixtures import TEST_API_KEY
from videos.tests.emulator_http import connect

pytestmark = pytest.mark.filterwarnings(
    "ignore:The Sora API is scheduled to permanently shut down:DeprecationWarning"
)

PROMPT = "A paper boat drifting down a rain gutter"
SMALL_MODELS = {"tiny": {"sizes": ["320x240", "240x320"], "seconds": [2, 3]}}
"""A model of small, quick clips, for servers with a fresh (empty) clip cache."""


def sdk(emulator: EmulatorClient) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=emulator.base_url, api_key=TEST_API_KEY, max_retries=0
    )


def completed(
    client: openai.OpenAI,
    emulator: EmulatorClient,
    *,
    size: str,
    seconds: str,
    model: str | openai.Omit = openai.omit,
) -> openai.types.Video:
    """A video created through the SDK and finished at once through the control API."""
    video = client.videos.create(
        prompt=PROMPT,
        model=model,
        # The emulator's sizes and lengths, beyond the SDK's OpenAI-only Literals.
        size=size,  # type: ignore[arg-type]  # any "WxH" the emulator renders
        seconds=seconds,  # type: ignore[arg-type]  # likewise any whole seconds
    )
    emulator.complete(video.id)
    return video


def download(client: openai.OpenAI, video_id: str, **options) -> bytes:
    with client.videos.with_streaming_response.download_content(
        video_id, **options
    ) as response:
        assert response.status_code == 200
        return response.read()


def probe(data: bytes, tmp_path: Path) -> media.VideoFacts:
    path = tmp_path / f"{hashlib.sha256(data).hexdigest()[:12]}.mp4"
    path.write_bytes(data)
    return media.probe(path)


@pytest.fixture
def fresh(tmp_path):
    """An emulator of its own whose clip cache starts empty, and that cache."""
    cache = tmp_path / "clips"
    server = EmulatorServer(
        models=SMALL_MODELS, render_seconds=60, clip_cache=cache
    ).start()
    try:
        yield EmulatorClient(server.root_url), server.app.clips
    finally:
        server.stop()


def files_in(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# --- The clip is the video asked for ------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "seconds"), [("720x1280", "8"), ("1280x720", "12"), ("1280x720", "4")]
)
def test_the_mp4_has_the_videos_size_and_length(emulator, tmp_path, size, seconds):
    client = sdk(emulator)
    video = completed(client, emulator, size=size, seconds=seconds)

    with client.videos.with_streaming_response.download_content(video.id) as response:
        content_type = response.headers["content-type"]
        data = response.read()
    facts = probe(data, tmp_path)

    assert content_type == "video/mp4"
    assert f"{facts.width}x{facts.height}" == size
    assert facts.duration == float(seconds)
    assert (facts.video_codec, facts.audio_codec) == ("h264", "aac")
    assert facts.frame_rate == 24.0


def test_thumbnail_and_spritesheet_are_webp_made_from_the_clip(emulator, tmp_path):
    client = sdk(emulator)
    video = completed(client, emulator, size="720x1280", seconds="8")

    mp4 = download(client, video.id)
    pictures = {}
    for variant in ("thumbnail", "spritesheet"):
        with client.videos.with_streaming_response.download_content(
            video.id, variant=variant
        ) as response:
            assert response.headers["content-type"] == "image/webp"
            pictures[variant] = response.read()
    thumbnail = Image.open(io.BytesIO(pictures["thumbnail"]))
    thumbnail.load()
    sheet = Image.open(io.BytesIO(pictures["spritesheet"]))
    sheet.load()

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(mp4)
    expected_sheet = media.make_spritesheet(clip)
    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (360, 640)  # portrait, long side 640
    assert pictures["thumbnail"] == media.make_poster(clip)
    assert sheet.format == "WEBP"
    assert expected_sheet.count == 8  # one tile per second
    assert sheet.size == (
        expected_sheet.columns * expected_sheet.tile_width,
        expected_sheet.rows * expected_sheet.tile_height,
    )
    assert pictures["spritesheet"] == expected_sheet.image


def test_odd_sizes_are_rounded_up_to_even(emulator, tmp_path):
    emulator.reset(profile="vllm-omni", render_seconds=60)  # any WxH
    client = sdk(emulator)
    video = completed(client, emulator, size="321x239", seconds="2")

    facts = probe(download(client, video.id), tmp_path)

    assert (facts.width, facts.height, facts.duration) == (322, 240, 2.0)


def test_a_clip_too_large_to_make_is_a_server_error(emulator):
    emulator.reset(profile="vllm-omni", render_seconds=60)
    client = sdk(emulator)
    video = completed(client, emulator, size="8192x8192", seconds="2")

    with pytest.raises(openai.InternalServerError) as refused:
        client.videos.download_content(video.id)

    assert "4096x4096" in refused.value.response.json()["error"]["message"]


def test_litellm_answers_the_mp4_for_a_thumbnail(emulator, tmp_path):
    emulator.reset(profile="litellm", render_seconds=60)
    client = sdk(emulator)
    video = completed(client, emulator, model="sora-2", size="1280x720", seconds="4")

    with client.videos.with_streaming_response.download_content(
        video.id, variant="thumbnail"
    ) as response:
        content_type, data = response.headers["content-type"], response.read()

    assert content_type == "video/mp4"
    assert data == download(client, video.id)
    facts = probe(data, tmp_path)
    assert (facts.width, facts.height, facts.duration) == (1280, 720, 4.0)


def test_content_bytes_wins_over_the_clip(emulator):
    emulator.configure(content_bytes=1000)
    client = sdk(emulator)
    video = completed(client, emulator, size="720x1280", seconds="4")

    data = download(client, video.id)
    thumbnail = download(client, video.id, variant="thumbnail")

    assert data == bytes(i % 256 for i in range(1000))
    assert Image.open(io.BytesIO(thumbnail)).format == "WEBP"


# --- Ranges, HEAD, faults -------------------------------------------------------------------


def raw(emulator: EmulatorClient, method: str, path: str, **headers: str):
    """(status, headers, body) of one request over plain HTTP (the SDK sends no HEAD)."""
    connection = connect(emulator.root_url, timeout=10)
    try:
        connection.request(
            method, path, headers={"Authorization": f"Bearer {TEST_API_KEY}", **headers}
        )
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_a_range_of_a_clip_is_exactly_those_bytes(emulator):
    client = sdk(emulator)
    video = completed(client, emulator, size="720x1280", seconds="8")
    full = download(client, video.id)
    size = len(full)

    answers = {}
    for header in ("bytes=1000-1999", "bytes=-100", f"bytes={size - 10}-"):
        with client.videos.with_streaming_response.download_content(
            video.id, extra_headers={"Range": header}
        ) as response:
            answers[header] = (
                response.status_code,
                response.headers["content-range"],
                response.read(),
            )

    assert answers["bytes=1000-1999"] == (
        206,
        f"bytes 1000-1999/{size}",
        full[1000:2000],
    )
    assert answers["bytes=-100"] == (
        206,
        f"bytes {size - 100}-{size - 1}/{size}",
        full[-100:],
    )
    assert answers[f"bytes={size - 10}-"][2] == full[-10:]


def test_head_unsatisfiable_range_and_cut_with_a_clip(emulator):
    client = sdk(emulator)
    video = completed(client, emulator, size="720x1280", seconds="4")
    full = download(client, video.id)
    path = f"/v1/videos/{video.id}/content"

    head = raw(emulator, "HEAD", path)
    beyond = raw(emulator, "GET", path, Range=f"bytes={len(full)}-")
    thumbnail_head = raw(emulator, "HEAD", path + "?variant=thumbnail")
    emulator.inject_fault("/v1/videos/*/content", "cut", method="GET")
    with pytest.raises(http.client.IncompleteRead) as cut:
        raw(emulator, "GET", path)

    assert head[0] == 200 and head[2] == b""
    assert int(head[1]["Content-Length"]) == len(full)
    assert beyond[0] == 416
    assert beyond[1]["Content-Range"] == f"bytes */{len(full)}"
    assert thumbnail_head[1]["Content-Type"] == "image/webp"
    assert int(thumbnail_head[1]["Content-Length"]) == len(
        download(client, video.id, variant="thumbnail")
    )
    assert cut.value.partial == full[: len(full) // 2]


# --- The clip cache -------------------------------------------------------------------------


def test_a_clip_is_encoded_once_then_served_from_the_cache(fresh, tmp_path):
    emulator, cache = fresh
    client = sdk(emulator)
    first = completed(client, emulator, model="tiny", size="320x240", seconds="2")
    first_bytes = download(client, first.id)
    clip = cache.path("video", ClipSpec(320, 240, 2))
    made_at = clip.stat().st_mtime_ns

    second = completed(client, emulator, model="tiny", size="320x240", seconds="2")
    second_bytes = download(client, second.id)
    download(client, second.id, variant="thumbnail")
    download(client, second.id, variant="spritesheet")
    longer = completed(client, emulator, model="tiny", size="320x240", seconds="3")
    longer_facts = probe(download(client, longer.id), tmp_path)

    assert second_bytes == first_bytes == clip.read_bytes()
    assert clip.stat().st_mtime_ns == made_at
    assert emulator.stats()["clips_encoded"] == 2  # 320x240 at 2 s, then at 3 s
    assert (cache.encodes, cache.pictures) == (2, 2)
    assert longer_facts.duration == 3.0
    version = clips.CLIP_FORMAT
    assert files_in(cache.directory) == [
        f"clip-{version}-320x240-2s-24fps.mp4",
        f"clip-{version}-320x240-2s-24fps.poster.webp",
        f"clip-{version}-320x240-2s-24fps.spritesheet.webp",
        f"clip-{version}-320x240-3s-24fps.mp4",
    ]


def test_the_cache_outlives_the_server(tmp_path):
    directory = tmp_path / "clips"
    spec = ClipSpec(240, 320, 2)
    made = ClipCache.at(directory).get("video", spec)
    made_at = made.path.stat().st_mtime_ns
    with EmulatorServer(models=SMALL_MODELS, clip_cache=directory).start() as server:
        emulator = EmulatorClient(server.root_url)
        client = sdk(emulator)
        video = completed(client, emulator, model="tiny", size="240x320", seconds="2")
        data = download(client, video.id)
        stats = emulator.stats()
    # Another process (a fresh ClipCache object) finds it too.
    again = ClipCache(directory).get("video", spec)

    assert made.encoded and not again.encoded
    assert data == made.path.read_bytes()
    assert stats["clips_encoded"] == 0
    assert made.path.stat().st_mtime_ns == made_at


def test_concurrent_downloads_of_a_fresh_clip_all_get_the_whole_file(fresh, tmp_path):
    emulator, cache = fresh
    client = sdk(emulator)
    videos = [
        completed(client, emulator, model="tiny", size="240x320", seconds="3")
        for _ in range(3)
    ]
    start = threading.Barrier(9)
    results: list[tuple[str, bytes | Exception]] = []
    lock = threading.Lock()

    def fetch(video_id: str, variant: str) -> None:
        start.wait()
        try:
            data: bytes | Exception = download(client, video_id, variant=variant)
        except Exception as error:  # noqa: BLE001 (asserted on below)
            data = error
        with lock:
            results.append((variant, data))

    threads = [
        threading.Thread(target=fetch, args=(video.id, variant))
        for video in videos
        for variant in ("video", "video", "thumbnail")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    mp4s = [data for variant, data in results if variant == "video"]
    posters = [data for variant, data in results if variant == "thumbnail"]
    assert len(results) == 9, results
    assert all(isinstance(data, bytes) for _, data in results), results
    assert len(set(mp4s)) == 1 and len(set(posters)) == 1
    facts = probe(mp4s[0], tmp_path)
    assert (facts.width, facts.height, facts.duration) == (240, 320, 3.0)
    assert mp4s[0] == cache.path("video", ClipSpec(240, 320, 3)).read_bytes()
    assert Image.open(io.BytesIO(posters[0])).format == "WEBP"
    assert emulator.stats()["clips_encoded"] == 1
    assert cache.encodes == 1
    assert files_in(cache.directory) == [
        f"clip-{clips.CLIP_FORMAT}-240x320-3s-24fps.mp4",
        f"clip-{clips.CLIP_FORMAT}-240x320-3s-24fps.poster.webp",
    ]


RACER = """
import hashlib, sys
from videos.emulator.clips import ClipCache, ClipSpec
made = ClipCache(sys.argv[1]).get("spritesheet", ClipSpec(320, 240, 2))
clip = made.path.with_name(made.path.name.replace(".spritesheet.webp", ".mp4"))
print(hashlib.sha256(clip.read_bytes()).hexdigest(), made.encoded)
"""


def test_processes_racing_for_the_same_clip_all_get_it(tmp_path):
    directory = tmp_path / "clips"
    environment = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(directory)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        for _ in range(3)
    ]
    outputs = [racer.communicate(timeout=120) for racer in racers]

    assert [racer.returncode for racer in racers] == [0, 0, 0], outputs
    digests = {out.split()[0] for out, _ in outputs}
    assert "True" in {out.split()[1] for out, _ in outputs}  # someone made it
    clip = directory / f"clip-{clips.CLIP_FORMAT}-320x240-2s-24fps.mp4"
    assert digests == {hashlib.sha256(clip.read_bytes()).hexdigest()}
    assert media.probe(clip).duration == 2.0
    assert files_in(directory) == [
        f"clip-{clips.CLIP_FORMAT}-320x240-2s-24fps.mp4",
        f"clip-{clips.CLIP_FORMAT}-320x240-2s-24fps.spritesheet.webp",
    ]


def test_cache_objects_racing_in_threads_publish_one_file(tmp_path):
    # Separate ClipCache objects share no lock, as separate processes would not.
    directory = tmp_path / "clips"
    spec = ClipSpec(64, 64, 1)
    start = threading.Barrier(4)
    made = []

    def make() -> None:
        start.wait()
        made.append(ClipCache(directory).get("video", spec))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(made) == 4
    assert {result.path for result in made} == {directory / (spec.stem + ".mp4")}
    assert media.probe(made[0].path).duration == 1.0
    assert files_in(directory) == [spec.stem + ".mp4"]


def test_stale_temporary_files_are_swept(tmp_path):
    directory = tmp_path / "clips"
    directory.mkdir()
    stale = (
        directory / f".clip-{clips.CLIP_FORMAT}-64x64-1s-24fps.mp4.123-abc.tmp.partial"
    )
    recent = directory / f".clip-{clips.CLIP_FORMAT}-64x64-2s-24fps.mp4.456-def.tmp"
    stale.write_bytes(b"half a clip")
    recent.write_bytes(b"being written")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))

    ClipCache(directory).get("video", ClipSpec(64, 64, 1))

    assert not stale.exists()
    assert recent.exists()  # its maker may still be at work


# --- Settings -------------------------------------------------------------------------------


def test_the_cache_directory_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SORA_EMULATOR_CLIP_CACHE", str(tmp_path / "mine"))
    assert default_directory() == tmp_path / "mine"

    monkeypatch.delenv("SORA_EMULATOR_CLIP_CACHE")
    assert default_directory().parent == Path(tempfile.gettempdir())
    assert default_directory().name.startswith("sora-emulator-clips")


def test_clip_specs():
    assert ClipSpec.of("720x1280", "8") == ClipSpec(720, 1280, 8)
    assert ClipSpec.of("641x359", 5) == ClipSpec(642, 360, 5)
    for size, seconds in (("720x1280", "61"), ("4097x10", "1"), ("0x10", "1")):
        with pytest.raises(ClipError):
            ClipSpec.of(size, seconds)


def test_the_command_documents_the_clip_cache(capsys):
    with pytest.raises(SystemExit):
        call_command("sora_emulator", "--help")

    help_text = " ".join(capsys.readouterr().out.split())
    for needle in ("--clip-cache", "SORA_EMULATOR_CLIP_CACHE", "real clip", "WebP"):
        assert needle in help_text
