"""The admin's door: allauth's login, then a second factor, then the admin.

Django's admin has its own login form, which knows nothing of allauth's rate limits
or two-factor step: anyone could try passwords there without limit. Ours has no form.
`/admin/login/` only sends people on: to allauth's login when logged out, to the
authenticator app setup or step when a staff member has not passed one, and back
into the admin when they have. It never reads a password.

The admin app is installed through `SoraAdminConfig` so that `admin.site`, which every
`admin.py` registers with, is a `SoraAdminSite`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

# Only what can be imported while apps load: this module holds the admin's AppConfig.


NEEDS_TOTP_MESSAGE = (
    "The admin needs two-factor authentication: confirm your password, then set up "
    "an authenticator app."
)
NEEDS_STEP_MESSAGE = "The admin needs a code from your authenticator app first."


def with_next(url: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{url}?{urlencode({'next': next_url})}")


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` the admin asked for, if it stays on this site."""
    url = request.GET.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


class SoraAdminSite(AdminSite):
    site_header = "Sora Studio administration"
    site_title = "Sora Studio admin"
    index_title = "Users, videos and moderation"

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff, with an authenticator app, in a session that passed a 2nd factor."""
        from accounts.mfa import AdminAccess, admin_access

        return super().has_permission(request) and (
            admin_access(request) is AdminAccess.OPEN
        )

    @login_not_required
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Send the visitor to the step they are missing; never take a password."""
        from accounts.mfa import AdminAccess, admin_access

        next_url = safe_next(request, reverse("admin:index", current_app=self.name))
        user = request.user
        if not user.is_authenticated:
            return with_next(resolve_url(settings.LOGIN_URL), next_url)
        if not (user.is_active and user.is_staff):
            return TemplateResponse(
                request,
                "admin/login.html",
                {**self.each_context(request), "title": "No access to the admin"},
                status=403,
            )
        access = admin_access(request)
        if access is AdminAccess.NEEDS_TOTP:
            messages.info(request, NEEDS_TOTP_MESSAGE)
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if access is AdminAccess.NEEDS_STEP:
            messages.info(request, NEEDS_STEP_MESSAGE)
            return with_next(reverse("mfa_reauthenticate"), next_url)
        return HttpResponseRedirect(next_url)


class SoraAdminConfig(AdminConfig):
    default_site = "accounts.admin_login.SoraAdminSite"

    def ready(self) -> None:
        super().ready()
        from accounts import mfa  # noqa: F401  (connects its signal receiver)
