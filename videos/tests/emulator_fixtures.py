"""Pytest fixtures that put the Sora emulator behind the product's OpenAI settings.

Loaded as a plugin (`-p videos.tests.emulator_fixtures`). One emulator serves the whole
session on a free port; each test that asks for `emulator` gets it reset (no videos,
faults or counters; 1 s renders) and has OPENAI_BASE_URL / OPENAI_API_KEY pointing at it.
The server reads SORA_MODELS once, when the session starts; a test that changes that
setting should pass the same dict to `emulator.configure(models=...)`.
"""

from collections.abc import Iterator

import pytest

from videos.emulator.control import EmulatorClient
from videos.emulator.server import EmulatorServer

TEST_API_KEY = "sk-test-emulator"
TEST_RENDER_SECONDS = 1.0


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    """The session's emulator, serving in a background thread."""
    server = EmulatorServer(render_seconds=TEST_RENDER_SECONDS).start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorServer, settings) -> EmulatorClient:
    """The emulator, reset for this test, with the product's settings pointing at it."""
    client = EmulatorClient(emulator_server.root_url)
    client.reset(render_seconds=TEST_RENDER_SECONDS)
    settings.OPENAI_BASE_URL = emulator_server.base_url
    settings.OPENAI_API_KEY = TEST_API_KEY
    return client
