"""Real clips of the size and length a video asked for, made once and kept on disk.

A completed video's `video` content is an H.264/AAC MP4 (FFmpeg's moving test pattern
and a tone, `videos.media.encode_clip`) of exactly the video's `size` and `seconds`;
under hosts that make them, its `thumbnail` and `spritesheet` are a WebP poster and a
WebP spritesheet made from that clip (`media.make_poster`, `media.make_spritesheet`).

Each clip is made once per (width, height, seconds) and kept in a cache directory
(`--clip-cache`, `SORA_EMULATOR_CLIP_CACHE`, default `sora-emulator-clips-<uid>` under
the system temp dir), its pictures beside it, so they survive restarts and are shared by
every emulator on the machine. Nothing is held in memory: downloads are read from the
files a chunk at a time. Encoding costs about 0.1 s per second of 720p video.

Safe under concurrency: in one process, one lock per file means one encode however
many requests want it at once; across processes, each maker writes its own temporary
file and publishes it with a hard link that never overwrites (the first one in wins, the
others drop theirs; the encoder is deterministic, so every copy is the same anyway).
Readers only ever see complete files.

Odd dimensions (hosts that take any `WxH`) are rounded up to even numbers, as H.264's
4:2:0 needs. Sides up to MAX_SIDE and lengths up to MAX_SECONDS are made; beyond that
the download is refused (`ClipError`) rather than fill the disk.
"""

import getpass
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from videos import media

ENV_VAR = "SORA_EMULATOR_CLIP_CACHE"
CLIP_FORMAT = "v2"
"""In every file name: bump it when `media.encode_clip` changes what it writes."""
FPS = 24
MAX_SIDE = 4096
MAX_SECONDS = 60
STALE_TEMP_SECONDS = 3600.0
"""Temporary files older than this were left by a maker that died; they are removed."""
_TEMP_SUFFIX = ".tmp"


class ClipError(Exception):
    """A clip cannot be made (too large, or the encoder failed); str() says why."""


def default_directory() -> Path:
    """`SORA_EMULATOR_CLIP_CACHE` if set, else `sora-emulator-clips-<uid>` in the temp dir."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return Path(configured).expanduser()
    owner = os.getuid() if hasattr(os, "getuid") else getpass.getuser()
    return Path(tempfile.gettempdir()) / f"sora-emulator-clips-{owner}"


@dataclass(frozen=True)
class ClipSpec:
    """What a clip shows: its frame size (even numbers) and length in whole seconds."""

    width: int
    height: int
    seconds: int

    @classmethod
    def of(cls, size: str, seconds: str | int) -> "ClipSpec":
        """The clip for a video's `size` ("WxH") and `seconds`, odd sides rounded up."""
        try:
            width, height = (int(side) for side in size.lower().split("x"))
            length = int(seconds)
        except (AttributeError, TypeError, ValueError):
            raise ClipError(
                f"cannot make a clip of size {size!r} and {seconds!r} seconds"
            ) from None
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise ClipError(
                f"the emulator makes clips up to {MAX_SIDE}x{MAX_SIDE}, not {size}"
            )
        if not 0 < length <= MAX_SECONDS:
            raise ClipError(
                f"the emulator makes clips of 1 to {MAX_SECONDS} seconds, not {seconds}"
            )
        return cls(width + width % 2, height + height % 2, length)

    @property
    def stem(self) -> str:
        return f"clip-{CLIP_FORMAT}-{self.width}x{self.height}-{self.seconds}s-{FPS}fps"


@dataclass(frozen=True)
class CachedFile:
    path: Path
    encoded: bool
    """Whether this call encoded the MP4 (False: it was in the cache already)."""


VARIANT_FILES = {
    "video": ".mp4",
    "thumbnail": ".poster.webp",
    "spritesheet": ".spritesheet.webp",
}


class ClipCache:
    """The clips and pictures in one directory; `ClipCache.at(dir)` shares one per dir."""

    _shared: dict[Path, "ClipCache"] = {}
    _shared_lock = threading.Lock()

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).expanduser().resolve()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.encodes = 0
        """MP4s this object has encoded (cache misses)."""
        self.pictures = 0
        """Posters and spritesheets this object has made."""
        self._swept = False

    @classmethod
    def at(cls, directory: str | Path | None = None) -> "ClipCache":
        """The process's cache for `directory` (default: `default_directory()`)."""
        resolved = Path(directory or default_directory()).expanduser().resolve()
        with cls._shared_lock:
            cache = cls._shared.get(resolved)
            if cache is None:
                cache = cls._shared[resolved] = cls(resolved)
            return cache

    def path(self, variant: str, spec: ClipSpec) -> Path:
        """Where a variant of a clip is (or will be) kept."""
        return self.directory / (spec.stem + VARIANT_FILES[variant])

    def get(self, variant: str, spec: ClipSpec) -> CachedFile:
        """The file of a variant ("video", "thumbnail", "spritesheet"), made if missing."""
        clip = self.path("video", spec)
        encoded = self._ensure(
            clip,
            lambda target: media.encode_clip(
                target,
                width=spec.width,
                height=spec.height,
                seconds=spec.seconds,
                fps=FPS,
            ),
        )
        if encoded:
            with self._count_lock:
                self.encodes += 1
        if variant == "video":
            return CachedFile(clip, encoded)
        make: Callable[[Path], bytes]
        if variant == "thumbnail":
            make = media.make_poster
        elif variant == "spritesheet":

            def spritesheet_image(source: Path) -> bytes:
                return media.make_spritesheet(source).image

            make = spritesheet_image
        else:
            raise ValueError(f"unknown variant {variant!r}")
        picture = self.path(variant, spec)
        if self._ensure(picture, lambda target: target.write_bytes(make(clip))):
            with self._count_lock:
                self.pictures += 1
        return CachedFile(picture, encoded)

    def _ensure(self, path: Path, make: Callable[[Path], object]) -> bool:
        """Make `path` unless it exists; True if this call made it."""
        if path.is_file():
            return False
        with self._lock_for(path.name):
            if path.is_file():  # made while we waited for the lock
                return False
            self._prepare()
            temporary = path.with_name(
                f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}{_TEMP_SUFFIX}"
            )
            try:
                make(temporary)
                _publish(temporary, path)
            except Exception as error:
                raise ClipError(
                    f"could not make {path.name}: {error or type(error).__name__}"
                ) from error
            finally:
                for leftover in (
                    temporary,
                    temporary.with_name(temporary.name + ".partial"),
                ):
                    leftover.unlink(missing_ok=True)
            return True

    def _lock_for(self, name: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(name, threading.Lock())

    def _prepare(self) -> None:
        """Create the directory; once, sweep temporary files a dead maker left."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ClipError(
                f"cannot create the clip cache {self.directory}: {error}"
            ) from error
        if self._swept:
            return
        self._swept = True
        cutoff = time.time() - STALE_TEMP_SECONDS
        for leftover in self.directory.glob(f".clip-*{_TEMP_SUFFIX}*"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
            except OSError:
                pass


def _publish(temporary: Path, path: Path) -> None:
    """Put a finished file in place without ever overwriting one already there."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process got there first; its copy is the same
    except OSError:
        # No hard links on this file system: an atomic rename (the copies are equal).
        os.replace(temporary, path)
