"""Forms of the accounts app that allauth does not already provide."""

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from accounts.models import User


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
