"""Forms of the accounts app that allauth does not already provide."""

from django import forms

from accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name"]
        help_texts = {"name": "How we greet you; optional."}

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()
