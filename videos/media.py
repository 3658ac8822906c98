"""Reading our own MP4s, and making pictures from them: the one module that imports PyAV.

Hosts that serve the Videos API today give no thumbnails or spritesheets, some answer
the MP4 when asked for one, and what a host says about a video (its length, its size)
is not what the file holds. So the product reads the file itself (`probe`), and makes
its own poster and scrub spritesheet from it (`make_poster`, `make_spritesheet`).
PyAV's wheels carry FFmpeg, so no system package is needed.

Decoding is the cost, so each picture decodes only what it needs: the poster looks at
the first second only; each spritesheet tile seeks to the keyframe before its time and
decodes forward from there, never the whole file. Memory stays flat whatever the
clip's length: one decoded frame at a time, tiles shrunk as they are made.

`encode_clip` writes test clips (FFmpeg's test pattern and a tone) of any size and
length, for the emulator and the benchmarks.
"""

import io
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import av
from PIL import Image

POSTER_LONG_SIDE = 640
TILE_LONG_SIDE = 240
SPRITE_COLUMNS = 5
SPRITE_MAX_TILES = 25
SPRITE_SECONDS_PER_TILE = 1.0
"""One tile per second of video, from 5 to 25 tiles (a 5-column grid)."""
BLACK_LUMA = 24
"""Mean luma (0-255) under which a frame counts as black (fades from black)."""
POSTER_SEARCH_SECONDS = 1.0
BRIGHT_ENOUGH = 0.75
"""A poster frame is at least this share of the first second's brightest."""
WEBP_QUALITY = 80


class NotAVideo(Exception):
    """The file does not decode as a video; str() says why, for admins and users."""


@dataclass(frozen=True)
class VideoFacts:
    """What an MP4 really holds."""

    duration: float
    """Seconds."""
    width: int
    height: int
    frame_rate: float | None
    video_codec: str
    audio_codec: str
    """Empty when there is no audio."""
    bit_rate: int | None
    """Bits per second, over the whole file."""


@dataclass(frozen=True)
class Spritesheet:
    """A grid of evenly spaced frames, and how to find frame `i` in it."""

    image: bytes
    """WebP."""
    columns: int
    rows: int
    count: int
    tile_width: int
    tile_height: int
    interval: float
    """Seconds of video between tiles; tile `i` shows time `(i + 0.5) * interval`."""


Source = str | Path | IO[bytes]


def probe(source: Source) -> VideoFacts:
    """The file's facts; raises NotAVideo if it has no decodable video to its end.

    Decodes the first frame and one near the end, so that a file cut short (an
    interrupted copy) is caught here, not by a viewer's player.
    """
    with _open(source) as container:
        stream = _video_stream(container)
        duration = _duration(container, stream)
        first = _first_frame(container, stream, at=0.0)
        if duration > 1.0:
            _first_frame(container, stream, at=max(duration - 1.0, 0.0))
        audio = container.streams.audio
        rate = stream.average_rate or stream.guessed_rate
        return VideoFacts(
            duration=round(duration, 3),
            width=first.width,
            height=first.height,
            frame_rate=round(float(rate), 3) if rate else None,
            video_codec=stream.codec_context.name,
            audio_codec=audio[0].codec_context.name if audio else "",
            bit_rate=container.bit_rate or None,
        )


def make_poster(source: Source) -> bytes:
    """A WebP of a frame from the first second that is not black.

    Videos often open with a fade from black: the poster is the first frame that is
    nearly as bright as the first second gets (its brightest, if none is bright).
    Only brightness is kept per frame (a 32×18 thumbnail's mean), so memory stays
    at one frame; the chosen one is then decoded again.
    """
    with _open(source) as container:
        stream = _video_stream(container)
        lumas: list[tuple[float, float]] = []
        for frame in _decode(container, stream):
            if frame.time is not None and frame.time > POSTER_SEARCH_SECONDS:
                break
            lumas.append((frame.time or 0.0, _mean_luma(frame)))
        if not lumas:
            raise NotAVideo("no frame could be decoded for a poster")
        brightest = max(luma for _, luma in lumas)
        wanted = max(BLACK_LUMA, BRIGHT_ENOUGH * brightest)
        time = next((t for t, luma in lumas if luma >= min(wanted, brightest)), 0.0)
        frame = _first_frame(container, stream, at=time)
        width, height = _fit(frame.width, frame.height, POSTER_LONG_SIDE)
        return _webp(frame.to_image(width=width, height=height))


def make_spritesheet(source: Source) -> Spritesheet:
    """Evenly spaced frames in a grid, each found by seeking to the keyframe before it."""
    with _open(source) as container:
        stream = _video_stream(container)
        duration = _duration(container, stream)
        count = min(
            max(round(duration / SPRITE_SECONDS_PER_TILE), SPRITE_COLUMNS),
            SPRITE_MAX_TILES,
        )
        interval = duration / count
        tiles = []
        for index in range(count):
            frame = _first_frame(container, stream, at=(index + 0.5) * interval)
            width, height = _fit(frame.width, frame.height, TILE_LONG_SIDE)
            tiles.append(frame.to_image(width=width, height=height))
    columns = min(SPRITE_COLUMNS, count)
    rows = math.ceil(count / columns)
    tile_width, tile_height = tiles[0].size
    sheet = Image.new("RGB", (columns * tile_width, rows * tile_height))
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        sheet.paste(tile, (column * tile_width, row * tile_height))
    return Spritesheet(
        image=_webp(sheet),
        columns=columns,
        rows=rows,
        count=count,
        tile_width=tile_width,
        tile_height=tile_height,
        interval=round(interval, 4),
    )


def encode_clip(
    path: Path,
    *,
    width: int,
    height: int,
    seconds: float,
    fps: int = 24,
    fade_in: float = 0.0,
) -> None:
    """Write an H.264/AAC MP4 of FFmpeg's moving test pattern and a tone.

    Keyframes every two seconds, as real encoders place them, so that seeking is
    exercised as it would be on a host's files; `fade_in` seconds from black at the
    start, as many generated videos open. The file is written beside `path` and
    renamed into place, so a reader never sees half of it.
    """
    pattern = f"testsrc2=size={width}x{height}:rate={fps}"
    if fade_in:
        pattern += f",fade=t=in:st=0:d={fade_in}"
    partial = path.with_name(path.name + ".partial")
    # faststart: the index goes first, so a player can start before the end arrives.
    with av.open(
        str(partial), "w", format="mp4", options={"movflags": "faststart"}
    ) as output:
        video = output.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {
            "preset": "ultrafast",
            "crf": "32",
            "x264-params": f"keyint={2 * fps}:min-keyint={2 * fps}:scenecut=0",
        }
        audio = output.add_stream("aac", rate=48000)
        for frame in _test_source(pattern, seconds, av.VideoFrame):
            # The pattern marks every frame as an I-frame, which x264 would obey.
            frame.pict_type = av.video.frame.PictureType.NONE
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        sine = "sine=frequency=440:sample_rate=48000"
        for audio_frame in _test_source(sine, seconds, av.AudioFrame):
            output.mux(audio.encode(audio_frame))
        output.mux(audio.encode(None))
    partial.replace(path)


# --- helpers --------------------------------------------------------------------------


def _open(source: Source) -> av.container.InputContainer:
    if isinstance(source, str | Path):
        source = str(source)
    else:
        source.seek(0)
    try:
        return av.open(source, "r")
    except (av.error.FFmpegError, ValueError, OSError) as error:
        raise NotAVideo(f"not a readable video file ({_reason(error)})") from error


def _video_stream(
    container: av.container.InputContainer,
) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise NotAVideo("the file holds no video stream")
    stream = container.streams.video[0]
    # One decoder thread: every tile seeks, which restarts the decoder, so more
    # threads buy no speed and cost ~7 MB each (bench/bench_media.py measured it).
    stream.codec_context.thread_count = 1
    return stream


def _duration(container: av.container.InputContainer, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    raise NotAVideo("the file does not say how long it is")


def _decode(container, stream) -> Iterator[av.VideoFrame]:
    try:
        yield from container.decode(stream)
    except (av.error.FFmpegError, ValueError) as error:
        raise NotAVideo(f"the video stops decoding ({_reason(error)})") from error


def _first_frame(container, stream, *, at: float) -> av.VideoFrame:
    """The first frame shown at or after `at` seconds (decoding from the keyframe before)."""
    try:
        container.seek(int(at / stream.time_base), stream=stream, backward=True)
    except (av.error.FFmpegError, ValueError) as error:
        raise NotAVideo(f"cannot seek to {at:.1f} s ({_reason(error)})") from error
    tolerance = 0.5 / float(stream.average_rate or 24)
    last = None
    for frame in _decode(container, stream):
        last = frame
        if frame.time is None or frame.time >= at - tolerance:
            return frame
    if last is None:
        raise NotAVideo(f"no frame decodes at {at:.1f} s")
    return last


def _mean_luma(frame: av.VideoFrame) -> float:
    small = frame.reformat(width=32, height=18, format="gray")
    plane = small.planes[0]
    rows = bytes(plane)
    total = sum(
        sum(rows[row * plane.line_size : row * plane.line_size + small.width])
        for row in range(small.height)
    )
    return total / (small.width * small.height)


def _fit(width: int, height: int, long_side: int) -> tuple[int, int]:
    """The size with the long side at `long_side` (never enlarged), even numbers."""
    scale = min(long_side / max(width, height), 1.0)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=4)
    return buffer.getvalue()


def _test_source[FrameT: (av.VideoFrame, av.AudioFrame)](
    description: str, seconds: float, kind: type[FrameT]
) -> Iterator[FrameT]:
    """Frames from a chain of FFmpeg filters that starts with a generator, for `seconds`.

    `description` is `generator=options[,filter=options…]`, as on FFmpeg's command line;
    `kind` is the frames it makes (video, or audio for `sine`), checked as they come.
    """
    generator, *filters = description.split(",")
    name, _, arguments = generator.partition("=")
    graph = av.filter.Graph()
    chain = [graph.add(name, f"{arguments}:duration={seconds}")]
    for step in filters:
        step_name, _, step_arguments = step.partition("=")
        chain.append(graph.add(step_name, step_arguments))
    if name != "sine":
        chain.append(graph.add("format", "pix_fmts=yuv420p"))
    chain.append(graph.add("buffersink" if name != "sine" else "abuffersink"))
    for upstream, downstream in itertools.pairwise(chain):
        upstream.link_to(downstream)
    graph.configure()
    while True:
        try:
            frame = chain[-1].pull()
        except (av.error.EOFError, av.error.BlockingIOError):
            return
        if not isinstance(frame, kind):
            raise TypeError(f"{description} made {type(frame).__name__}s")
        yield frame


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__
