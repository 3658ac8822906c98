"""Pages of the accounts app: the public landing page and the user's profile."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm
from accounts.models import AuthenticatedHttpRequest
from videos.selectors import usage_summary


@login_not_required
def landing(request: HttpRequest) -> HttpResponse:
    """What the product does, for visitors; logged-in users go straight to their videos."""
    if request.user.is_authenticated:
        return redirect("videos:list")
    return render(request, "landing.html")


@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Edit the display name; show the email, today's usage and the daily quota."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("profile")
    return render(
        request,
        "account/profile.html",
        {"form": form, "usage": usage_summary(request.user)},
    )
