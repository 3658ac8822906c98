"""A local emulator of OpenAI's Videos API (Sora 2), for development, demos and tests.

`EmulatorServer` serves the upstream's wire contract (docs/hosts.md) under `/v1`, with
state in memory, prompt triggers (see `triggers`) and control endpoints under
`/_emulator/` (see `control.EmulatorClient`). A completed video's content is a real
MP4 of the size and length it asked for, with a WebP thumbnail and spritesheet made
from it, each made once and kept in a clip cache on disk (see `clips`). Its `profile` makes it behave as one of
the hosts that serve the contract today (see `profiles` and `litellm`). Run it with
`manage.py sora_emulator`. Never used in production.
"""

from .server import EmulatorServer

__all__ = ["EmulatorServer"]
