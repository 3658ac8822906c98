"""Pytest fixtures that put LiteLLM's real proxy in front of the session's emulator.

Loaded as a plugin (`-p videos.tests.gateway_fixtures`). Most users of the product reach
video models through a gateway, and LiteLLM's proxy is the most used one; its quirks
(long encoded ids, its own retries, wrapped errors) are facts the product must live with,
so tests run against the real thing rather than a mock of it. It lives in .venv-litellm
(`make litellm`, which `make test` runs) so the product never depends on it.

`litellm_proxy` starts one proxy for the session, routing every model the emulator serves
to it as an OpenAI-compatible upstream; `gateway` points the product's settings at
it for one test, with the emulator reset as the `emulator` fixture does.
"""

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from videos.emulator.control import EmulatorClient
from videos.emulator.server import EmulatorServer
from videos.tests.emulator_fixtures import TEST_API_KEY

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LITELLM_BIN = PROJECT_ROOT / ".venv-litellm" / "bin" / "litellm"
MASTER_KEY = "sk-litellm-test-master"
"""The key clients send to the proxy (its master key, so no database is needed)."""
STARTUP_TIMEOUT = 90.0
"""Seconds to wait for readiness: ~10 s is usual, a cold first import is slower."""
LOG_TAIL_CHARS = 6000

# Keep the proxy offline and quiet: each LITELLM_LOCAL_* makes it read a file it ships
# instead of fetching the newest copy at start, and nothing of the test environment
# (DATABASE_URL, REDIS_URL, OPENAI_API_KEY) may leak in: LiteLLM would act on them.
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_TELEMETRY_DISABLED": "True",
    "DISABLE_ADMIN_UI": "True",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
    "PYTHONUNBUFFERED": "1",
}


@dataclass(frozen=True)
class LiteLLMProxy:
    """A running proxy: what a client needs to reach it, and what it was started with."""

    base_url: str
    """The SDK's base_url, ending in /v1."""
    api_key: str
    config_path: Path
    log_path: Path
    """The proxy's output, to read when a test fails."""


def proxy_config(upstream_base_url: str, models: list[str]) -> str:
    """A LiteLLM config routing each model name to `openai/<name>` at the upstream.

    Written by hand (the project's venv has no YAML library); every scalar is a JSON
    string, which YAML reads as a double-quoted string.
    """
    lines = ["model_list:"]
    for model in models:
        lines += [
            f"  - model_name: {json.dumps(model)}",
            "    litellm_params:",
            f"      model: {json.dumps('openai/' + model)}",
            f"      api_base: {json.dumps(upstream_base_url)}",
            f"      api_key: {json.dumps(TEST_API_KEY)}",
        ]
    lines += ["general_settings:", f"  master_key: {json.dumps(MASTER_KEY)}"]
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_ready(root_url: str) -> bool:
    try:
        with urllib.request.urlopen(root_url + "/health/readiness", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(log_path: Path) -> str:
    return log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def litellm_proxy(
    emulator_server: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiteLLMProxy]:
    """LiteLLM's proxy on a free port, in front of the session's emulator."""
    if os.environ.get("SORA_SKIP_LITELLM") == "1":
        pytest.skip("SORA_SKIP_LITELLM=1: the LiteLLM proxy tests are turned off")
    if not LITELLM_BIN.exists():
        pytest.fail(
            f"LiteLLM's proxy is not installed ({LITELLM_BIN} is missing): run"
            " `make litellm` (or `make test`, which runs it) to create .venv-litellm,"
            " or set SORA_SKIP_LITELLM=1 to skip these tests.",
            pytrace=False,
        )
    workdir = tmp_path_factory.mktemp("litellm")
    config_path = workdir / "config.yaml"
    config_path.write_text(
        proxy_config(emulator_server.base_url, [*emulator_server.app.defaults.models])
    )
    log_path = workdir / "proxy.log"
    port = _free_port()
    root_url = f"http://127.0.0.1:{port}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        **OFFLINE_ENV,
    }
    command = [str(LITELLM_BIN), "--config", str(config_path)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        while not _is_ready(root_url):
            if process.poll() is not None:
                pytest.fail(
                    f"LiteLLM's proxy exited with code {process.returncode} before it"
                    f" was ready. Its output:\n{_log_tail(log_path)}",
                    pytrace=False,
                )
            if time.monotonic() - started > STARTUP_TIMEOUT:
                pytest.fail(
                    f"LiteLLM's proxy was not ready after {STARTUP_TIMEOUT:.0f} s."
                    f" Its output:\n{_log_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield LiteLLMProxy(
            base_url=root_url + "/v1",
            api_key=MASTER_KEY,
            config_path=config_path,
            log_path=log_path,
        )
    finally:
        _stop(process)


@pytest.fixture
def gateway(
    emulator: EmulatorClient, litellm_proxy: LiteLLMProxy, settings
) -> LiteLLMProxy:
    """The proxy, with a freshly reset emulator behind it and the product pointed at it."""
    settings.OPENAI_BASE_URL = litellm_proxy.base_url
    settings.OPENAI_API_KEY = litellm_proxy.api_key
    return litellm_proxy
