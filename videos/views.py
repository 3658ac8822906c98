"""Pages of the videos app. Thin: forms validate, services decide, templates show."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sora_site.ratelimits import enforce_create_limit
from videos import estimates, selectors, services
from videos.errors import VideoError
from videos.forms import REFERENCE_LABELS, RemixForm, VideoForm
from videos.models import Video
from videos.sora import profiles

PAGE_SIZE = 12


def owned_video(request: HttpRequest, pk: uuid.UUID) -> Video:
    """The user's own visible video, or 404 (never 403: others' ids stay secret)."""
    return get_object_or_404(Video, pk=pk, user=request.user, hidden=False)


@require_GET
def video_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()[:200]
    videos = selectors.videos_for_list(request.user, status=status, query=query)
    page = Paginator(videos, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "videos/list.html",
        {
            "page": page,
            "status": status if status in Video.Status.values else "",
            "query": query,
            "statuses": Video.Status.choices,
            "filtered": bool(status or query),
        },
    )


@require_http_methods(["GET", "POST"])
def video_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = VideoForm(request.POST, request.FILES)
        if form.is_valid():
            enforce_create_limit(request)
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
        form = VideoForm(initial={"form_token": uuid.uuid4()})
    return render(
        request,
        "videos/new.html",
        {
            "form": form,
            "usage": selectors.usage_summary(request.user),
            "capabilities": {
                name: profile.to_json()
                for name, profile in profiles.model_table().items()
            },
            "chosen": form.chosen_profile(),
            "estimated_cost": form.estimated_cost(),
            "reference_labels": REFERENCE_LABELS,
        },
    )


@require_GET
def video_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    video = owned_video(request, pk)
    return _render_detail(
        request, video, RemixForm(initial={"form_token": uuid.uuid4()})
    )


def _render_detail(
    request: HttpRequest, video: Video, remix_form: RemixForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "videos/detail.html",
        {"video": video, "remix_form": remix_form},
        status=status,
    )


@never_cache
@require_GET
def video_status(request: HttpRequest, pk: uuid.UUID) -> JsonResponse:
    """What the detail page polls: the state, and the panel to show once it changes."""
    video = owned_video(request, pk)
    time = estimates.describe(video, timezone.now())
    panel = render_to_string(
        "videos/detail.html#status_panel",
        {"video": video, "remix_form": RemixForm(initial={"form_token": uuid.uuid4()})},
        request=request,
    )
    return JsonResponse(
        {
            "status": video.status,
            "phase": video.phase,
            "progress": video.display_progress,
            "error": video.error_message or None,
            "status_label": video.status_label,
            "elapsed": round(time.elapsed),
            "estimate": time.text,
            "running": video.is_running,
            "html": panel,
        }
    )


@require_POST
def video_remix(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    source = owned_video(request, pk)
    if not source.can_remix:
        messages.error(request, services.why_not_remixable(source))
        return redirect(source)
    form = RemixForm(request.POST)
    if form.is_valid():
        enforce_create_limit(request)
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


@require_POST
def video_delete(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    video = owned_video(request, pk)
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
