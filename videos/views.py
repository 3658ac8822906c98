"""Pages of the videos app. Thin: forms validate, services decide, templates show."""

import unicodedata
import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts import email_claims
from accounts.models import AuthenticatedHttpRequest
from sora_site.ratelimits import create_limit_message, create_limit_wait
from videos import paging, selectors, services
from videos.errors import VideoError
from videos.forms import REFERENCE_LABELS, RemixForm, VideoForm
from videos.models import Video
from videos.sora import profiles

PAGE_SIZE = 12


def owned_video(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> Video:
    """The user's own video, or 404 (never 403: others' ids stay secret).

    Hidden videos are included: their owner is told a moderator hid them, and why,
    rather than seeing them vanish; their bytes stay out of reach (streaming.py).

    A remix's source is read only where a page shows it (one more query, for remixes
    alone): joined here, its 53 columns cost every video page, and every status poll,
    0.8 ms of CPU (bench/README.md, "Pages").
    """
    return get_object_or_404(Video, pk=pk, user=request.user)


@require_safe
def video_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    asked_status = request.GET.get("status", "")
    status = asked_status if asked_status in Video.Status.values else ""
    query = search_text(request.GET.get("q", ""))
    page = paging.page_of(
        request.user,
        status=status,
        query=query,
        asked=request.GET.get("page"),
        per_page=PAGE_SIZE,
        query_string=request.GET.urlencode(),
    )
    return render(
        request,
        "videos/list.html",
        {
            "page": page,
            "status": status,
            "query": query,
            "statuses": Video.Status.choices,
            "filtered": bool(asked_status or query),
        },
    )


def search_text(text: str) -> str:
    """What the list's search looks for: the typed text without control characters.

    Prompts never hold them (the form drops them), and PostgreSQL cannot even compare
    text with a NUL in it: `?q=%00` would be a 500 there, not an empty result.
    """
    kept = "".join(char for char in text if unicodedata.category(char) != "Cc")
    return kept.strip()[:200]


@require_http_methods(["GET", "HEAD", "POST"])
def video_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = VideoForm(request.POST, request.FILES)
        if form.is_valid() and (wait := create_limit_wait(request)):
            form.add_error(None, create_limit_message(wait))
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                video = services.create_video(
                    user=request.user,
                    prompt=data["prompt"],
                    model=data["model"],
                    size=data["size"],
                    seconds=data["seconds"],
                    input_reference=data["input_reference"],
                    form_token=data["form_token"],
                )
            except VideoError as error:
                form.add_error(error.field, error.message)
            else:
                return redirect(video)
    else:
        form = VideoForm(initial=_create_initial(request))
    response = render(
        request,
        "videos/new.html",
        {
            "form": form,
            "usage": selectors.usage_summary(request.user),
            "email_verified": email_claims.has_verified_login_email(request.user),
            "capabilities": {
                name: profile.to_json()
                for name, profile in profiles.model_table().items()
            },
            "estimated_cost": form.estimated_cost(),
            "reference_labels": REFERENCE_LABELS,
        },
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


def _create_initial(request: AuthenticatedHttpRequest) -> dict:
    """A fresh form, or "try again": filled from one of the user's own videos.

    `?from=<id>` names the video; anyone else's id, or nonsense, gives a blank form.
    An uploaded reference image cannot be put back into a file field, so the page
    says to choose it again.
    """
    initial: dict = {"form_token": uuid.uuid4()}
    source = selectors.own_video_or_none(request.user, request.GET.get("from", ""))
    if source is not None:
        initial |= {
            "prompt": source.prompt,
            "model": source.model,
            "size": source.size,
            "seconds": source.seconds,
        }
        note = (
            f"Filled in from “{source.short_prompt}”: change anything, then press "
            "Generate video."
        )
        if source.input_reference:
            note += " Its reference image is not carried over: choose it again."
        messages.info(request, note)
    return initial


@require_safe
def video_detail(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    video = owned_video(request, pk)
    return _render_detail(request, video, new_remix_form(video))


def new_remix_form(source: Video) -> RemixForm:
    """A remix starts from the original prompt: the change is usually a small edit."""
    return RemixForm(initial={"form_token": uuid.uuid4(), "prompt": source.prompt})


def _render_detail(
    request: AuthenticatedHttpRequest,
    video: Video,
    remix_form: RemixForm,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "videos/detail.html",
        {"video": video, "remix_form": remix_form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def video_remix(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    """POST remixes; a GET (a reloaded error page, a bookmark) leads to the video."""
    source = owned_video(request, pk)
    if request.method == "GET":
        return redirect(source)
    if not source.can_remix:
        messages.error(request, services.why_not_remixable(source))
        return redirect(source)
    form = RemixForm(request.POST)
    if form.is_valid() and (wait := create_limit_wait(request)):
        form.add_error("prompt", create_limit_message(wait))
        response = _render_detail(request, source, form, status=429)
        response["Retry-After"] = str(wait)
        return response
    if form.is_valid():
        try:
            video = services.remix_video(
                user=request.user,
                source=source,
                prompt=form.cleaned_data["prompt"],
                form_token=form.cleaned_data["form_token"],
            )
        except VideoError as error:
            form.add_error("prompt", error.message)
        else:
            return redirect(video)
    return _render_detail(request, source, form)


@require_http_methods(["GET", "POST"])
def video_delete(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    """POST deletes; a GET (a reloaded page, a bookmark) leads to the video."""
    video = owned_video(request, pk)
    if request.method == "GET":
        return redirect(video)
    try:
        host_kept = services.delete_video(video=video)
    except VideoError as error:
        messages.error(request, error.message)
        return redirect(video)
    if host_kept:
        messages.success(
            request,
            f"Deleted “{video.short_prompt}” here, with our copy of it. {host_kept}",
        )
    else:
        messages.success(request, f"Deleted “{video.short_prompt}”.")
    return redirect("videos:list")
