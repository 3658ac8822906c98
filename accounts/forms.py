"""Forms of the accounts app: our own, and allauth's where an address must be owned."""

from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from django import forms
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.http import HttpRequest

from accounts import email_claims
from accounts.models import User


class SignupForm(allauth_forms.SignupForm):
    """allauth's sign-up, where only a login or a verified address is taken.

    A taken address gets the same answer as a free one (the page asks to confirm the
    address; its owner is emailed that they already have an account): nobody learns
    who has an account here. An address another account merely added, unverified,
    does not stop its owner from signing up with it.
    """

    def validate_unique_email(self, value: str) -> str:
        email = get_adapter().validate_unique_email(value)
        self.account_already_exists = email_claims.is_claimed(email)
        return email

    def save(self, request: HttpRequest) -> User | None:
        email_claims.release_unverified(self.cleaned_data["email"])
        return super().save(request)


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    """allauth's password reset, never sent for an account through an address that
    account has not verified (it would mail its owner a link into someone else's)."""

    # Set by allauth's clean_email: the accounts the address could reset.
    users: list[User]

    def clean_email(self) -> str:
        email = super().clean_email()
        self.users = [
            user for user in self.users if email_claims.may_receive_reset(user, email)
        ]
        return email


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name"]
        help_texts = {"name": "How we greet you; optional."}

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


def clean_unique_email(email: str, *, instance: User) -> str:
    """Normalize an address and refuse one another account has in any letter case.

    The database enforces case-insensitive uniqueness too; checking here first turns
    its bare "constraint violated" into a sentence an admin can act on.
    """
    email = User.objects.normalize_email(email.strip())
    taken = User.objects.filter(email__iexact=email).exclude(pk=instance.pk)
    if taken.exists():
        raise forms.ValidationError("Another account already uses this email address.")
    return email


class AdminUserCreationForm(BaseUserCreationForm):
    """The admin's add form: an email address and a password typed twice."""

    class Meta:
        model = User
        fields = ["email"]

    def clean_email(self) -> str:
        return clean_unique_email(self.cleaned_data["email"], instance=self.instance)


class AdminUserChangeForm(UserChangeForm):
    """The admin's change form for our User (email login, no username)."""

    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return clean_unique_email(self.cleaned_data["email"], instance=self.instance)
