"""Refuse request bodies that are too large before anything reads them.

Django checks an upload's size only after receiving it (and the reference image's
10 MB limit is checked later still, in the form), so a 100 MB body would be read in
full first. Here the declared `Content-Length` is compared with the largest body any
form of ours takes, and a larger one is answered 413 at once; a body sent without a
length (chunked) gets 411, since its size could only be learned by reading it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

BODY_METHODS = ("POST", "PUT", "PATCH")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in BODY_METHODS:
            refusal = refuse_body(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)


def refuse_body(request: HttpRequest) -> HttpResponse | None:
    """413 or 411 for a body we will not read; None for one we will."""
    declared = request.META.get("CONTENT_LENGTH", "")
    if not declared:
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return _refusal(request, 411, "Send the length of what you upload.")
        return None
    try:
        length = int(declared)
    except ValueError:
        return _refusal(request, 400, "The request's length is not a number.")
    limit = settings.MAX_REQUEST_BYTES
    if length > limit:
        return _refusal(
            request,
            413,
            f"What you sent is {_megabytes(length)}; the most any form here takes is "
            f"{_megabytes(limit)} (a reference image may be up to 10 MB).",
        )
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    response = render(
        request, "request_refused.html", {"message": message}, status=status
    )
    # The body was not read: the connection cannot be reused for another request.
    response["Connection"] = "close"
    return response
