"""The emulator's API key check (videos/emulator/app.py), over raw HTTP.

Every `/v1` request needs a bearer token, and a server started with an `api_key` wants
exactly that one; a refusal is 401 `invalid_api_key` in OpenAI's error shape
(`errors.py`). The `/_emulator/` control routes (`control_api.py`) need no key, so a
test can always reset the server.
"""

import pytest

from videos.emulator import EmulatorServer
from videos.emulator.control import EmulatorClient
from videos.tests.emulator_http import call


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["missing", "empty", "not-bearer"],
)
def test_api_needs_a_bearer_token(emulator, headers):
    reply = call(emulator, "GET", "/v1/videos", headers=headers, auth=False)

    assert reply.status == 401
    error = reply.error()
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "invalid_api_key"
    assert error["param"] is None


def test_a_configured_api_key_must_match():
    with EmulatorServer(
        models={"sora-2": {"sizes": ["720x1280"], "seconds": [4]}}, api_key="right"
    ) as server:
        server.start()
        client = EmulatorClient(server.root_url)
        wrong = call(
            client, "GET", "/v1/videos", headers={"Authorization": "Bearer wrong"}
        )
        right = call(
            client, "GET", "/v1/videos", headers={"Authorization": "Bearer right"}
        )

    assert wrong.status == 401
    assert wrong.error()["code"] == "invalid_api_key"
    assert right.status == 200


def test_control_endpoints_need_no_key(emulator):
    assert call(emulator, "GET", "/_emulator/stats", auth=False).status == 200
