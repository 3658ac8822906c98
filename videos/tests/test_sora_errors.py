"""Taking a gateway's wrapping off the host's error, so users read the host's words.

These build the SDK's own exception objects from the bodies hosts really send (the
shapes in docs/hosts.md); the journeys through the emulator's `litellm` profile and
LiteLLM's real proxy are in test_hosts.py and test_litellm_gateway.py.
"""

import json

import httpx2
import openai
import pytest

from videos.sora import errors

LITELLM_MESSAGE = (
    "litellm.BadRequestError: OpenAIException - "
    + json.dumps(
        {
            "error": {
                "message": "Invalid 'size': '1792x1024' is not supported by sora-2.",
                "type": "invalid_request_error",
                "param": "size",
                "code": "invalid_value",
            }
        }
    )
    + " LiteLLM: model group 'sora-2' failed. Received Model Group=sora-2"
)


def status_error(status: int, body: dict, headers: dict | None = None):
    request = httpx2.Request("POST", "http://gateway.test/v1/videos")
    response = httpx2.Response(status, json=body, headers=headers, request=request)
    client = openai.OpenAI(api_key="x", base_url="http://gateway.test/v1")
    return client._make_status_error_from_response(response)


def test_a_litellm_wrapped_refusal_reads_as_the_hosts_own():
    error = status_error(
        400,
        {
            "error": {
                "message": LITELLM_MESSAGE,
                "type": None,
                "param": None,
                "code": "400",
            }
        },
    )
    refused = errors.classify(error)
    assert isinstance(refused, errors.RefusedError)
    assert refused.message == "Invalid 'size': '1792x1024' is not supported by sora-2."
    assert (refused.code, refused.param) == ("invalid_value", "size")


def test_a_python_repr_inside_the_message_is_unwrapped_too():
    inner = "{'error': {'message': \"Prompt blocked: it's unsafe\", 'code': 'moderation_blocked', 'param': None}}"
    error = status_error(
        400,
        {"error": {"message": f"litellm.BadRequestError: VertexAIException - {inner}"}},
    )
    refused = errors.classify(error)
    assert refused.message == "Prompt blocked: it's unsafe"
    assert refused.code == "moderation_blocked"


def test_gateways_in_front_of_gateways():
    middle = json.dumps({"error": {"message": LITELLM_MESSAGE, "code": "400"}})
    error = status_error(400, {"error": {"message": f"upstream said: {middle}"}})
    refused = errors.classify(error)
    assert refused.param == "size"
    assert refused.message.startswith("Invalid 'size'")


def test_a_plain_message_with_braces_stays_as_it_is():
    error = status_error(
        400, {"error": {"message": "Use {width}x{height}", "code": "bad"}}
    )
    refused = errors.classify(error)
    assert refused.message == "Use {width}x{height}"
    assert refused.code == "bad"


@pytest.mark.parametrize(
    ("status", "unknown"), [(429, False), (408, False), (500, True), (502, True)]
)
def test_transient_answers_say_whether_a_create_may_have_happened(status, unknown):
    error = status_error(status, {"error": {"message": "busy"}}, {"retry-after": "3"})
    transient = errors.classify(error)
    assert isinstance(transient, errors.TransientError)
    assert transient.outcome_unknown is unknown
    assert transient.retry_after == 3.0
    assert transient.status_code == status


def test_a_missing_route_is_unsupported_not_refused_by_policy():
    error = status_error(405, {"error": {"message": "Method Not Allowed"}})
    assert isinstance(errors.classify(error), errors.UnsupportedError)


def test_the_host_is_named_in_transient_messages(settings):
    settings.SORA_HOST_NAME = "Acme Video"
    error = status_error(503, {"error": {"message": "overloaded"}})
    assert (
        errors.classify(error).message == "Acme Video is unavailable (503): overloaded"
    )


def test_fastapi_details_read_as_the_hosts_words():
    """SGLang and vLLM-Omni answer `{"detail": …}` rather than OpenAI's error object."""
    refused = errors.classify(
        status_error(400, {"detail": "input_reference file is required"})
    )
    assert refused.message == "input_reference file is required"
    invalid = errors.classify(
        status_error(
            422,
            {
                "detail": [
                    {
                        "loc": ["body", "seconds"],
                        "msg": "Input should be a valid integer",
                    }
                ]
            },
        )
    )
    assert invalid.message == "Input should be a valid integer"
    assert invalid.param == "seconds"
