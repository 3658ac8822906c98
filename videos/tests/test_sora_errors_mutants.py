"""Reading the host's error answers: the edges `make mutants` found untested.

A gateway's Python repr of the host's error (quotes, escapes and braces inside its
strings), a message that is not text, a code that is absent, and when to try again
(`retry-after-ms`, `Retry-After` in seconds or as a date). Built as in
test_sora_errors.py: the SDK's own exception objects over the bodies hosts send.
"""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx2
import openai
import pytest

from videos.sora import errors

GATEWAY = "litellm.BadRequestError: VertexAIException - {} LiteLLM: model group failed"


def status_error(status: int, body: dict, headers: dict | None = None):
    request = httpx2.Request("POST", "http://gateway.test/v1/videos")
    response = httpx2.Response(status, json=body, headers=headers, request=request)
    client = openai.OpenAI(api_key="x", base_url="http://gateway.test/v1")
    return client._make_status_error_from_response(response)


def refused_with_message(message) -> errors.SoraError:
    return errors.classify(status_error(400, {"error": {"message": message}}))


def wrapped_repr(inner: dict) -> errors.SoraError:
    """The host's error object as a gateway prints it: Python's repr, mid-sentence."""
    return refused_with_message(GATEWAY.format(repr(inner)))


def test_braces_and_escaped_quotes_inside_the_hosts_strings():
    words = 'Size {1792x1024} isn\'t "allowed" for {model}'
    refused = wrapped_repr(
        {"error": {"message": words, "param": "size", "code": "invalid_value"}}
    )
    assert refused.message == words
    assert (refused.param, refused.code) == ("size", "invalid_value")


def test_a_lone_brace_inside_the_hosts_words_is_text():
    words = "A { opens here and } closes there, but this { never does"
    refused = wrapped_repr({"error": {"message": words, "code": "invalid_value"}})
    assert refused.message == words
    assert refused.code == "invalid_value"


def test_a_string_that_ends_in_an_escaped_quote():
    words = 'He said "stop" to the robot\''
    refused = wrapped_repr({"error": {"message": words, "code": "blocked"}})
    assert refused.message == words
    assert refused.code == "blocked"


def test_a_double_quoted_repr_string_with_an_apostrophe():
    words = "The host's {queue} is full"
    refused = wrapped_repr({"error": {"message": words, "param": "model"}})
    assert refused.message == words
    assert refused.param == "model"


def test_several_escaped_quotes_and_braces_inside_one_string():
    """Each escaped quote is stepped over, not read as the string's end (a scanner
    that lost its place at an escape would never find the closing brace)."""
    words = "a'b'c \"d\" }{"
    refused = wrapped_repr({"error": {"message": words, "code": "odd_words"}})
    assert refused.message == words
    assert refused.code == "odd_words"


def test_a_validation_error_without_a_location_names_no_parameter():
    refused = errors.classify(status_error(422, {"detail": [{"msg": "Bad input"}]}))
    assert isinstance(refused, errors.RefusedError)
    assert (refused.message, refused.param) == ("Bad input", None)


def test_an_answer_the_sdk_could_not_read_may_still_have_made_a_video():
    """Not a connection failure, not an error status: the host answered something
    unreadable, so a create may have been accepted (look before sending again)."""
    request = httpx2.Request("POST", "http://gateway.test/v1/videos")
    response = httpx2.Response(200, text="<html>not json</html>", request=request)
    error = openai.APIResponseValidationError(response=response, body=None)
    transient = errors.classify(error)
    assert isinstance(transient, errors.TransientError)
    assert transient.outcome_unknown is True
    assert "answered something unexpected" in transient.message


def test_a_bare_error_object_with_a_nested_object_after_its_message():
    refused = wrapped_repr(
        {
            "message": "Bad size",
            "details": {"allowed": ["1280x720"], "asked": {"size": "9x9"}},
            "param": "size",
        }
    )
    assert refused.message == "Bad size"
    assert refused.param == "size"


def test_an_object_that_never_closes_leaves_the_message_as_it_is():
    words = "Sizes are {'1280x720', '720x1280' and nothing else"
    refused = refused_with_message(words)
    assert refused.message == words


def test_a_message_that_is_not_text_is_replaced_by_the_status():
    refused = errors.classify(
        status_error(400, {"error": {"message": {"text": "nested"}, "code": "odd"}})
    )
    assert refused.message == "OpenAI answered with status 400."
    assert refused.code == "odd"


def test_an_absent_code_and_param_stay_absent():
    refused = refused_with_message("No.")
    assert refused.code is None and refused.param is None
    numeric = errors.classify(
        status_error(400, {"error": {"message": "No.", "code": 400, "param": None}})
    )
    assert numeric.code == "400" and numeric.param is None


def test_a_refusal_is_a_400_unless_the_host_said_otherwise():
    assert errors.RefusedError("No.").status_code == 400
    assert errors.RefusedError("No.", status_code=403).status_code == 403


# --- when to try again ----------------------------------------------------------------


def headers(**values: str) -> httpx2.Headers:
    return httpx2.Headers({name.replace("_", "-"): v for name, v in values.items()})


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def test_retry_after_in_milliseconds_wins():
    assert errors.retry_after(headers(retry_after_ms="1500", retry_after="9")) == 1.5


def test_unreadable_milliseconds_fall_back_to_retry_after():
    assert errors.retry_after(headers(retry_after_ms="soon", retry_after="4")) == 4.0


def test_negative_waits_are_no_wait():
    assert errors.retry_after(headers(retry_after_ms="-20")) == 0.0
    assert errors.retry_after(headers(retry_after="-3")) == 0.0


def test_retry_after_as_a_date_is_the_time_until_then():
    when = datetime.now(UTC) + timedelta(seconds=120)
    assert 110 < errors.retry_after(headers(retry_after=http_date(when))) <= 120


def test_retry_after_as_a_date_in_the_past_is_no_wait():
    when = datetime.now(UTC) - timedelta(hours=1)
    assert errors.retry_after(headers(retry_after=http_date(when))) == 0.0


def test_retry_after_as_a_date_without_a_zone_is_read_as_utc():
    when = datetime.now(UTC) + timedelta(seconds=300)
    text = when.strftime("%a, %d %b %Y %H:%M:%S -0000")  # "-0000": no zone given
    assert 290 < errors.retry_after(headers(retry_after=text)) <= 300


@pytest.mark.parametrize(
    "value", ["", "tomorrow", "Mon, 99 Foo 2026"], ids=["empty", "words", "bad-date"]
)
def test_no_or_unreadable_retry_after_is_none(value):
    assert errors.retry_after(headers(retry_after=value)) is None
    assert errors.retry_after(httpx2.Headers()) is None


def test_a_404_is_gone_only_where_the_caller_says_so():
    """A missing video is gone; a missing route or model (a create, a list, a
    moderation) is the host refusing, which callers treat differently."""
    error = status_error(404, {"error": {"message": "No such thing", "code": None}})
    refused = errors.classify(error)
    assert type(refused) is errors.RefusedError and refused.status_code == 404
    assert isinstance(errors.classify(error, missing_is_gone=True), errors.GoneError)
