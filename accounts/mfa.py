"""Two-factor authentication and passkeys (allauth.mfa): what the admin asks of staff.

Staff open the admin only with an authenticator app (TOTP) set up *and* a session
that passed a second factor: the authenticator step after the password, a recovery
code, or a passkey (which needs the device's PIN or biometrics, so it is two factors
in itself). allauth keeps the list of steps a session passed; we read it.
"""

import enum

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from allauth.mfa.webauthn.forms import AddWebAuthnForm
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.functional import cached_property

SITE_NAME = "Sora Studio"


class AdminAccess(enum.Enum):
    """Where a logged-in staff member stands on the way into the admin."""

    OPEN = "open"
    NEEDS_TOTP = "needs_totp"  # no authenticator app yet: set one up
    NEEDS_STEP = "needs_step"  # has one, but this session has not used a 2nd factor


def has_totp(user) -> bool:
    return Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.TOTP
    ).exists()


def passed_second_factor(request: HttpRequest) -> bool:
    """Whether this session's login (or a later re-authentication) used a 2nd factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def admin_access(request: HttpRequest) -> AdminAccess:
    """The staff member's standing, worked out once per request (the admin asks for
    permission several times while rendering one page)."""
    cached = getattr(request, "_sora_admin_access", None)
    if cached is not None:
        return cached
    if not has_totp(request.user):
        access = AdminAccess.NEEDS_TOTP
    elif not passed_second_factor(request):
        access = AdminAccess.NEEDS_STEP
    else:
        access = AdminAccess.OPEN
    # Kept on the request itself (read back with getattr above), so it lives as long
    # as the request and no longer, as Django caches request.user.
    request._sora_admin_access = access  # type: ignore[attr-defined]  # a per-request cache
    return access


@receiver(authenticator_added)
def activation_passes_the_step(
    sender, request: HttpRequest | None, user, authenticator: Authenticator, **kwargs
) -> None:
    """Activating an authenticator app takes a valid code from it: that is the second
    factor, so the session that just set it up opens the admin without asking for
    another code (the same code may not be used twice)."""
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type
        )


class MFAAdapter(DefaultMFAAdapter):
    """Passkeys name the product, not the host name the request came in on."""

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        return {**super().get_public_key_credential_rp_entity(), "name": SITE_NAME}


class AddPasskeyForm(AddWebAuthnForm):
    """Adding a key makes a passkey (one you can sign in with) unless unticked."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        passwordless = self.fields.get("passwordless")
        if passwordless is not None:
            passwordless.initial = True
            passwordless.label = "Sign in with this key (passkey)"
            passwordless.help_text = (
                "Lets you sign in with just this key; your device asks for its PIN, "
                "fingerprint or face. Untick for a key that only confirms a password "
                "login."
            )
            # templates/mfa/webauthn/add_form.html puts the help under this id.
            passwordless.widget.attrs["aria-describedby"] = "passwordless_help"


class AuthenticateForm(AllauthAuthenticateForm):
    """The second step at login: a code from the app or a recovery code."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "code"
        ].label = "Code from your authenticator app, or a recovery code"
        self.fields["code"].widget.attrs.pop("placeholder", None)

    @cached_property
    def has_security_keys(self) -> bool:
        """Whether to offer the passkey button: pressing it without one only fails."""
        return Authenticator.objects.filter(
            user_id=self.user.pk, type=Authenticator.Type.WEBAUTHN
        ).exists()
