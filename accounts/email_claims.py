"""Who an email address belongs to: only a verified address, or an account's login.

allauth lets a logged-in user attach any address to their account, unverified, at
`/accounts/email/`. Left alone, such an address would block its real owner's sign-up
and route the owner's password resets into the squatter's account. Here an
unverified address on another account claims nothing: sign-up and password reset
ignore it, and once its owner verifies it, the others' unverified copies go.
"""

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import User


def is_claimed(email: str) -> bool:
    """An account logs in with it, or has verified it."""
    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email, verified=True).exists()
    )


def may_receive_reset(user: User, email: str) -> bool:
    """A password reset for `user` may go to `email`: their login, or verified."""
    if user.email.lower() == email.lower():
        return True
    return EmailAddress.objects.filter(
        user=user, email__iexact=email, verified=True
    ).exists()


def release_unverified(email: str, *, keep_user: User | None = None) -> int:
    """Drop other accounts' unverified copies of an address; returns how many."""
    others = EmailAddress.objects.filter(email__iexact=email, verified=False)
    if keep_user is not None:
        others = others.exclude(user=keep_user)
    deleted, _ = others.delete()
    return deleted


def has_verified_login_email(user: User) -> bool:
    """Whether the address the user logs in with is verified (needed to spend quota)."""
    return EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()


@receiver(email_confirmed)
def _owner_verified(
    sender: object, request: HttpRequest | None, email_address: EmailAddress, **kwargs
) -> None:
    release_unverified(email_address.email, keep_user=email_address.user)
