"""Users in the admin: who they are, how much they have generated, and banning them.

Banning is `is_active = False`: Django's and allauth's backends then refuse the login
(and drop existing sessions), and the video services refuse new videos. Videos already
running are left to finish; they were paid for.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    IntegerField,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.forms import AdminUserChangeForm, AdminUserCreationForm
from accounts.models import AuthenticatedHttpRequest, User
from videos.models import UsageCharge, Video

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class UsageAnnotations(TypedDict):
    """What with_usage adds to each user."""

    video_count: int
    videos_generated: int
    seconds_generated: int


# A user as the admin's queryset gives them (django-stubs-ext is a development tool,
# so the alias exists for the type checker only).
if TYPE_CHECKING:
    UserWithUsage = WithAnnotations[User, UsageAnnotations]


def with_usage(users: QuerySet[User]) -> QuerySet[User]:
    """Annotate each user's video rows and the seconds charged, in the same query.

    Correlated subqueries rather than joins: joining both videos and charges would
    multiply one by the other (a user with 3 videos and 3 charges would show 9 and
    three times their seconds). The ledger counts what was generated, deleted videos
    included and failed (refunded) ones not; `video_count` counts the rows there are.
    """
    videos = (
        Video.objects.filter(user=OuterRef("pk"))
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    charges = UsageCharge.objects.filter(user=OuterRef("pk")).order_by().values("user")
    return users.annotate(
        video_count=Coalesce(Subquery(videos, output_field=IntegerField()), 0),
        videos_generated=Coalesce(
            Subquery(
                charges.annotate(n=Count("pk")).values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
        seconds_generated=Coalesce(
            Subquery(
                charges.annotate(total=Sum("seconds")).values("total"),
                output_field=IntegerField(),
            ),
            0,
        ),
    )


NUL_IN_QUERY = (
    "This address holds a NUL character (%00) in its search or filters; no text "
    "here can contain one. Remove it and try again."
)

REGEX_LOOKUPS = {"regex", "iregex"}
NOT_AN_ID = "“{value}” is not the id of any {name}: select them on the list instead."


class HostileQueryGuard(admin.ModelAdmin):
    """A ModelAdmin mixin for query strings Django's admin would answer with a 500.

    A NUL anywhere in a changelist's query is a 400, said plainly: searches and
    filters compare it with text columns, and PostgreSQL refuses any text holding a
    NUL (`?q=%00` or `?model=%00` were 500s there; SQLite merely finds nothing).
    So is a regular-expression lookup, and a selected id that cannot be one. An
    empty `_to_field` on a change page means the primary key, as no `_to_field`
    does (Django looked up a field named "" and failed).
    """

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        """No regular expressions from the address (a 400, as other refused lookups).

        Django allows any lookup on a model's own fields, `?prompt__regex=*` too, and
        the database then fails on the pattern: PostgreSQL refuses "*" (a 500).
        """
        if lookup.rsplit(LOOKUP_SEP, 1)[-1] in REGEX_LOOKUPS:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Model | None:
        return super().get_object(request, object_id, from_field or None)

    def response_action(
        self, request: HttpRequest, queryset: QuerySet, *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        """Selected ids that cannot be ids are a 400 (Django filtered by them: a 500).

        Validators too: an integer past the column's range (SQLite's "int too large")
        is no id either.
        """
        pk = self.model._meta.pk
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                pk.run_validators(pk.to_python(value))
            except ValidationError:
                return HttpResponseBadRequest(
                    NOT_AN_ID.format(
                        value=value[:40], name=self.model._meta.verbose_name
                    ),
                    content_type="text/plain; charset=utf-8",
                )
        return super().response_action(request, queryset, *args, **kwargs)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest(
                NUL_IN_QUERY, content_type="text/plain; charset=utf-8"
            )
        return super().changelist_view(request, extra_context)


def log_changes(
    request: AuthenticatedHttpRequest, objects: Sequence[Model], message: str
) -> None:
    """Record a bulk action in the admin's history: who banned or hid what stays on
    record (bulk actions bypass the change form, which would otherwise log it)."""
    if objects:
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=objects,
            action_flag=CHANGE,
            change_message=message,
        )


@admin.register(User)
class UserAdmin(HostileQueryGuard, DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm

    list_display = [
        "email",
        "name",
        "is_active",
        "is_staff",
        "date_joined",
        "videos_link",
        "videos_generated",
        "seconds_generated",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "name"]
    ordering = ["-date_joined"]
    actions = ["deactivate", "reactivate"]

    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name"]}),
        (
            "Usage",
            {
                "fields": [
                    "daily_seconds_quota",
                    "videos_link",
                    "videos_generated",
                    "seconds_generated",
                ]
            },
        ),
        (
            "Permissions",
            {
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    readonly_fields = [
        "videos_link",
        "videos_generated",
        "seconds_generated",
        "last_login",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # The change page reads the same annotations (get_object uses this queryset).
        return with_usage(super().get_queryset(request))

    @admin.display(description="Videos", ordering="video_count")
    def videos_link(self, user: "UserWithUsage") -> str:
        """The user's videos in the videos admin: all of them, hidden and failed too."""
        url = reverse("admin:videos_video_changelist") + f"?user={user.pk}"
        return format_html('<a href="{}">{}</a>', url, user.video_count)

    @admin.display(description="Videos generated", ordering="videos_generated")
    def videos_generated(self, user: "UserWithUsage") -> int:
        return user.videos_generated

    @admin.display(description="Seconds generated", ordering="seconds_generated")
    def seconds_generated(self, user: "UserWithUsage") -> int:
        return user.seconds_generated

    @admin.action(description="Deactivate (ban) selected users", permissions=["change"])
    def deactivate(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]
    ) -> None:
        if queryset.filter(pk=request.user.pk).exists():
            # Banning yourself would lock the only person who can undo it out of here.
            self.message_user(
                request, "You cannot deactivate your own account.", messages.WARNING
            )
        banned = list(queryset.filter(is_active=True).exclude(pk=request.user.pk))
        count = User.objects.filter(pk__in=[u.pk for u in banned]).update(
            is_active=False
        )
        log_changes(request, banned, "Deactivated (banned).")
        self.message_user(
            request,
            f"Deactivated {count} user(s): they can no longer log in or create "
            "videos; videos already running will finish.",
            messages.SUCCESS,
        )

    @admin.action(description="Reactivate selected users", permissions=["change"])
    def reactivate(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]
    ) -> None:
        restored = list(queryset.filter(is_active=False))
        count = User.objects.filter(pk__in=[u.pk for u in restored]).update(
            is_active=True
        )
        log_changes(request, restored, "Reactivated.")
        self.message_user(
            request,
            f"Reactivated {count} user(s): they can log in again.",
            messages.SUCCESS,
        )
