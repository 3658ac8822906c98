"""The emulator's server object and its management command.

Covers videos/emulator/server.py (`EmulatorServer`: its URLs, start and stop, idle
keep-alive connections closed on stop, settings validated, a taken port refused) and
videos/management/commands/sora_emulator.py (content sizes such as 512K or 1G, a bad
size or taken port as a CommandError, and a --help that documents triggers and control).
"""

import argparse
import http.client

import pytest
from django.core.management import CommandError, call_command

from videos.emulator import EmulatorServer
from videos.management.commands.sora_emulator import parse_byte_size
from videos.tests.emulator_http import connect, send


def test_server_urls_and_lifecycle(emulator_server):
    assert emulator_server.root_url == f"http://127.0.0.1:{emulator_server.port}"
    assert emulator_server.base_url == emulator_server.root_url + "/v1"

    server = EmulatorServer(models={"m": {"sizes": ["64x64"], "seconds": [4]}}).start()
    with pytest.raises(RuntimeError):
        server.start()
    server.stop()
    server.stop()  # twice is fine

    with pytest.raises(OSError):
        connect(server.root_url, timeout=1).request("GET", "/_emulator/stats")


def test_stop_closes_idle_keep_alive_connections():
    server = EmulatorServer(models={"m": {"sizes": ["64x64"], "seconds": [4]}}).start()
    connection = connect(server.root_url)
    assert send(connection, "GET", "/_emulator/stats", auth=False).status == 200

    server.stop()

    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        send(connection, "GET", "/_emulator/stats", auth=False)
    connection.close()


def test_server_settings_are_validated():
    with pytest.raises(ValueError, match="render_seconds"):
        EmulatorServer(render_seconds=-1)
    with pytest.raises(ValueError, match="models"):
        EmulatorServer(models={"sora-2": {"sizes": ["720x1280"]}})


def test_a_taken_port_is_an_error(emulator_server):
    with pytest.raises(OSError):
        EmulatorServer(port=emulator_server.port)
    with pytest.raises(CommandError, match="already in use"):
        call_command("sora_emulator", "--port", str(emulator_server.port))


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 0),
        ("1048576", 1048576),
        ("512K", 512 * 1024),
        ("64m", 64 * 1024**2),
        ("1G", 1024**3),
    ],
)
def test_content_bytes_sizes(text, size):
    assert parse_byte_size(text) == size


@pytest.mark.parametrize("text", ["", "1.5G", "-1", "1T", "lots"])
def test_content_bytes_rejects_other_sizes(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_byte_size(text)


def test_the_command_refuses_a_bad_content_size():
    with pytest.raises(CommandError, match="not a size"):
        call_command("sora_emulator", "--content-bytes", "1T")


def test_command_help_documents_triggers_and_control(capsys):
    with pytest.raises(SystemExit):
        call_command("sora_emulator", "--help")

    help_text = capsys.readouterr().out
    for needle in (
        "[refuse]",
        "[fail]",
        "[flag]",
        "[slow]",
        "/_emulator/faults",
        "/_emulator/reset",
    ):
        assert needle in help_text
