"""`manage.py sora_emulator`: serve the local Sora API emulator until Ctrl-C or SIGTERM."""

import argparse
import errno
import logging
import re
import signal

from django.core.management.base import CommandError, CommandParser

from videos.emulator import EmulatorServer, clips
from videos.emulator.profiles import PROFILES
from videos.management.base import CommandWithExamples

_BYTE_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def parse_byte_size(text: str) -> int:
    """`"1048576"`, `"512K"`, `"64M"`, `"1G"` → bytes (binary units: 1K = 1024)."""
    match = _BYTE_SIZE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: use a whole number of bytes, optionally with"
            " a K, M or G suffix (binary units), e.g. 1G."
        )
    number, unit = match.groups()
    return int(number) * _UNITS[unit.upper()]


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number >= 0.")
    return value


HELP = """\
Serve a local emulator of OpenAI's Videos API (Sora 2) under /v1, for development,
demos and tests: point the product at it with OPENAI_BASE_URL=http://HOST:PORT/v1 and
any OPENAI_API_KEY (or exactly --api-key, if given). State lives in memory.

Content: a completed video's MP4 is a real clip (FFmpeg's moving test pattern and a
440 Hz tone, H.264/AAC, 24 fps) of exactly its size and length: 8 s at 720x1280 plays
0:08 at 720x1280 (odd sides, which some hosts allow, are rounded up to even). Under
the openai profile its thumbnail and spritesheet are WebP pictures made from that clip.
Each clip is encoded once per size and length (about 0.1 s per second of 720p) and kept
with its pictures in a cache directory (--clip-cache, or SORA_EMULATOR_CLIP_CACHE;
default sora-emulator-clips-<uid> in the system temp dir), shared by every emulator on
the machine and served from disk; delete the directory to reclaim the space. Clips go
up to 4096x4096 and 60 s. --content-bytes replaces the MP4 (not the pictures) with a
generated body of any size, for large-download tests.

Profiles (--profile): behave as one of the hosts that serve this contract today, with
that host's preset models (the product's own table when the profile is its
SORA_HOST_PRESET, so SORA_MODELS overrides apply); see docs/hosts.md:
  openai     the contract as OpenAI served it (the default)
  litellm    LiteLLM's proxy: ids of ~240 chars (base64 of provider, model, upstream
             id, deployment), retries of its own (x-litellm-num-retries: 0 turns them
             off), wrapped errors, no DELETE (405), list needs custom_llm_provider,
             Range and variant ignored (the MP4 for every variant), no poll hint
  vllm-omni  ids video_gen_<hex>, any WxH and whole seconds, one model, no remix or
             variants, progress 0 until done, a failed job's retrieve is a 500,
             delete cancels a running job (409 otherwise)
  sglang     uuid ids, multipart creates need input_reference, seconds an integer,
             progress 0 then 100, no remix or variants, delete forgets the record,
             errors as {"detail": ...}

Prompt triggers (anywhere in a create or remix prompt):
  [refuse]  the create is refused at once: 400 moderation_blocked
  [fail]    accepted, then ends "failed" with error generation_failed
  [flag]    POST /v1/moderations reports the input as flagged (violence)
  [slow]    renders ten times slower than --render-seconds
  [render=S] renders in S seconds (decimals allowed; [slow] still multiplies), for
            benchmarks of poll schedules

Control endpoints (JSON, no API key), for tests and benchmarks:
  POST /_emulator/reset      forget videos, faults and counters; body may override config
  POST /_emulator/config     change config: profile, models, render_seconds,
                             content_bytes, expires_after, poll_after_ms (a profile
                             without models brings its preset models)
  POST /_emulator/faults     fail the next requests: {"path", "method"?, "kind", "count"?,
                             "retry_after"?, "seconds"?}; kind 429, 500, 503, hang, drop, cut;
                             path is exact, * matching one segment
  GET  /_emulator/stats      request counts per route, retrieves per video, creates,
                             downloads completed/aborted, clips encoded (cache misses)
  GET  /_emulator/videos     every stored video, deleted ones included
  POST /_emulator/videos/ID/complete   finish a video now
  POST /_emulator/videos/ID/expire     expire a video's assets now

Examples:
  python manage.py sora_emulator --port 8001 --render-seconds 8
  python manage.py sora_emulator --profile litellm   # behave as LiteLLM's proxy
  python manage.py sora_emulator --content-bytes 1G      # a 1 GiB generated video body
  python manage.py sora_emulator --clip-cache ~/.cache/sora-clips   # keep clips here
  curl -X POST 127.0.0.1:8001/_emulator/config -d '{"render_seconds": 2}'
  curl -X POST 127.0.0.1:8001/_emulator/reset -d '{"profile": "vllm-omni"}'
  curl -X POST 127.0.0.1:8001/_emulator/faults \\
       -d '{"path": "/v1/videos", "method": "POST", "kind": "429", "retry_after": 3}'
  curl -X POST 127.0.0.1:8001/_emulator/faults \\
       -d '{"path": "/v1/videos/*", "method": "GET", "kind": "hang", "seconds": 30}'
  curl 127.0.0.1:8001/_emulator/stats
"""


class Command(CommandWithExamples):
    help = HELP

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Default 127.0.0.1.")
        parser.add_argument(
            "--profile",
            choices=PROFILES,
            default="openai",
            help="The host to behave as, with its preset models (default openai).",
        )
        parser.add_argument(
            "--port", type=int, default=8001, help="Default 8001; 0 picks a free port."
        )
        parser.add_argument(
            "--render-seconds",
            type=_non_negative_float,
            default=8.0,
            help="Seconds from create to completion (default 8).",
        )
        parser.add_argument(
            "--content-bytes",
            type=parse_byte_size,
            default=None,
            help="Serve a generated video body of this size (e.g. 1G) instead of the"
            " video's clip.",
        )
        parser.add_argument(
            "--clip-cache",
            default=None,
            metavar="DIR",
            help="Where clips are made and kept (default"
            f" {clips.default_directory()}: $SORA_EMULATOR_CLIP_CACHE if set, else"
            " sora-emulator-clips-<uid> in the system temp dir).",
        )
        parser.add_argument(
            "--expires-after",
            type=_non_negative_float,
            default=3600.0,
            help="Seconds from completion until the assets expire (default 3600).",
        )
        parser.add_argument(
            "--poll-after-ms",
            type=int,
            default=1000,
            help="The openai-poll-after-ms hint on running videos (default 1000).",
        )
        parser.add_argument(
            "--api-key",
            default=None,
            help="Accept only this API key (default: any non-empty bearer token).",
        )

    def handle(self, *args, **options) -> None:
        host, port = options["host"], options["port"]
        try:
            server = EmulatorServer(
                host,
                port,
                profile=options["profile"],
                render_seconds=options["render_seconds"],
                content_bytes=options["content_bytes"],
                expires_after=options["expires_after"],
                poll_after_ms=options["poll_after_ms"],
                api_key=options["api_key"],
                clip_cache=options["clip_cache"],
            )
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"Port {port} on {host} is already in use; stop whatever listens"
                    " there or pick another --port."
                ) from None
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from None
        if options["verbosity"] >= 1:
            # One line per request, like runserver's.
            logging.getLogger("videos.emulator.requests").setLevel(logging.DEBUG)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: server.stop())
        self.stdout.write(
            f"Sora emulator serving at {server.base_url} as {options['profile']}"
            f" ({', '.join(server.app.config.models)};"
            f" render {options['render_seconds']:g}s; clips in"
            f" {server.app.clips.directory}). Stop with Ctrl-C."
        )
        server.serve_forever()
        self.stdout.write("Sora emulator stopped.")
