"""`videos/media.py`: facts, posters and spritesheets read from real MP4s (PyAV)."""

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from videos import media


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    made = {
        "landscape": (640, 360, 6.0, 0.0),
        "portrait": (360, 640, 3.0, 0.0),
        "fade": (640, 360, 3.0, 0.5),
    }
    for name, (width, height, seconds, fade_in) in made.items():
        media.encode_clip(
            folder / f"{name}.mp4",
            width=width,
            height=height,
            seconds=seconds,
            fade_in=fade_in,
        )
    return {name: folder / f"{name}.mp4" for name in made}


def image(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()  # decodes the whole image: a broken one raises here
    return picture


def test_probe_reads_what_the_file_holds(clips):
    facts = media.probe(clips["landscape"])
    assert facts.duration == pytest.approx(6.0, abs=0.05)
    assert (facts.width, facts.height) == (640, 360)
    assert facts.frame_rate == pytest.approx(24.0)
    assert (facts.video_codec, facts.audio_codec) == ("h264", "aac")
    assert facts.bit_rate and facts.bit_rate > 10_000


def test_probe_reads_from_a_file_object_too(clips):
    with clips["portrait"].open("rb") as handle:
        facts = media.probe(handle)
    assert (facts.width, facts.height) == (360, 640)


@pytest.mark.parametrize(
    ("clip", "size"), [("landscape", (640, 360)), ("portrait", (360, 640))]
)
def test_the_poster_is_an_image_of_the_videos_shape(clips, clip, size):
    poster = image(media.make_poster(clips[clip]))
    assert poster.format == "WEBP"
    assert poster.size == size  # already under 640 on the long side: not enlarged


def test_a_poster_of_a_large_video_is_640_on_its_long_side(tmp_path):
    path = tmp_path / "big.mp4"
    media.encode_clip(path, width=1280, height=720, seconds=1)
    assert image(media.make_poster(path)).size == (640, 360)


def test_the_poster_skips_a_fade_from_black(clips):
    poster = image(media.make_poster(clips["fade"]))
    first_second_brightest = image(media.make_poster(clips["landscape"]))
    brightness = ImageStat.Stat(poster.convert("L")).mean[0]
    assert (
        brightness > 0.6 * ImageStat.Stat(first_second_brightest.convert("L")).mean[0]
    )


@pytest.mark.parametrize(("clip", "tiles"), [("landscape", 6), ("portrait", 5)])
def test_the_spritesheet_is_a_grid_of_evenly_spaced_frames(clips, clip, tiles):
    facts = media.probe(clips[clip])
    sheet = media.make_spritesheet(clips[clip])
    picture = image(sheet.image)
    assert sheet.count == tiles
    assert (sheet.columns, sheet.rows) == (5, 2 if tiles > 5 else 1)
    assert picture.size == (
        sheet.columns * sheet.tile_width,
        sheet.rows * sheet.tile_height,
    )
    assert sheet.tile_width / sheet.tile_height == pytest.approx(
        facts.width / facts.height, rel=0.03
    )
    assert sheet.interval == pytest.approx(facts.duration / tiles, abs=0.01)
    first, second = (
        picture.crop(
            (i * sheet.tile_width, 0, (i + 1) * sheet.tile_width, sheet.tile_height)
        )
        for i in (0, 1)
    )
    assert ImageChops.difference(first, second).getbbox() is not None  # moving


def test_a_long_video_has_at_most_25_tiles(tmp_path):
    path = tmp_path / "long.mp4"
    media.encode_clip(path, width=160, height=90, seconds=40)
    sheet = media.make_spritesheet(path)
    assert (sheet.count, sheet.columns, sheet.rows) == (25, 5, 5)
    assert sheet.interval == pytest.approx(1.6, abs=0.01)


def test_a_file_cut_short_is_not_a_video(clips, tmp_path):
    data = clips["landscape"].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(media.NotAVideo, match="no frame decodes|stops decoding"):
        media.probe(cut)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00" * 4096,
        b"<html>gateway error</html>",
        b"\xff\xd8\xff" + b"\x00" * 64,
    ],
)
def test_other_bytes_are_not_a_video(tmp_path, content):
    path = tmp_path / "not-a-video.mp4"
    path.write_bytes(content)
    for make in (media.probe, media.make_poster, media.make_spritesheet):
        with pytest.raises(media.NotAVideo):
            make(path)


def test_a_picture_is_not_a_video(tmp_path):
    path = tmp_path / "picture.mp4"
    Image.new("RGB", (64, 64), "red").save(path, format="JPEG")
    with pytest.raises(media.NotAVideo):
        media.probe(path)
