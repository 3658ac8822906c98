"""The product's user: an email address that logs in, a display name and a daily quota."""

from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone

from accounts.managers import UserManager


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    daily_seconds_quota = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Seconds of video this user may generate per day. "
        "Empty means the site default.",
    )
    is_staff = models.BooleanField(
        default=False, help_text="Can log in to the admin site."
    )
    is_active = models.BooleanField(
        default=True,
        help_text="Unset to ban: the user can no longer log in or create videos.",
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            # Emails differing only in case are one person.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]

    @property
    def effective_daily_quota(self) -> int:
        """Seconds per day this user may generate: their own quota or the site default."""
        if self.daily_seconds_quota is not None:
            return self.daily_seconds_quota
        return settings.DAILY_SECONDS_QUOTA


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind the login sees: its user is one of ours, never anonymous.

    For type checking only (Django builds plain HttpRequests): LoginRequiredMiddleware
    turns anonymous visitors away from every view not marked login_not_required, and the
    admin admits only staff, so those views annotate `request` with this.
    """

    user: User
