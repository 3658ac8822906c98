"""The create and remix forms: validation at the boundary, choices from the host profiles."""

import unicodedata
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from videos.models import Video
from videos.sora import profiles

PROMPT_MAX_LENGTH = 4000
REFERENCE_MAX_BYTES = 10 * 1024 * 1024
REFERENCE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
REFERENCE_LABELS = {
    "required": "Reference image (required)",
    "optional": "Reference image (optional)",
    "none": "Reference image (this model takes none)",
}
"""The field's label for the chosen model; the page's script swaps it as models change."""

# Messages the server gives and the page's script repeats before sending, so both say
# the same thing: `str.format` fields here, filled the same way in video-form.js.
REFERENCE_WRONG_SIZE = (
    "The reference image is {width}×{height} pixels; it must be exactly "
    "{expected_width}×{expected_height}, the size of the video."
)
REFERENCE_TOO_LARGE = "The reference image is {size:.1f} MB; the limit is 10 MB."
REFERENCE_UNREADABLE = "That file is not an image we can read (JPEG, PNG or WebP)."
REFERENCE_TOO_MANY_PIXELS = (
    "That image says it is over {limit} million pixels, far more than any video; "
    "the reference image must be exactly the size of the video."
)
QUOTA_USED_UP = "You have used all {quota} seconds of today's quota."
QUOTA_TOO_SHORT = (
    "This {seconds}-second video needs {seconds} seconds; you have {left} left today."
)
QUOTA_STARTS_OVER = "Your quota starts over at midnight ({zone})."


def size_label(size: str) -> str:
    """`"720x1280"` → `"Portrait 720×1280"`: people pick a shape, then a resolution."""
    return Video(size=size).size_label


class PromptField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        super().__init__(
            max_length=PROMPT_MAX_LENGTH,
            strip=True,
            widget=forms.Textarea(attrs={"rows": 5, "maxlength": PROMPT_MAX_LENGTH}),
            error_messages={
                "required": "Describe the video you want: the prompt cannot be empty.",
                "max_length": "Keep the prompt to %(limit_value)d characters "
                "(it has %(show_value)d).",
            },
            **kwargs,
        )

    def to_python(self, value):
        # Control characters (NUL, escape sequences…) mean nothing in a prompt, show
        # as boxes, and NUL cannot even be stored by PostgreSQL; line breaks stay.
        value = super().to_python(value)
        if not isinstance(value, str):
            return value
        return "".join(
            char
            for char in value
            if char in "\n\t" or unicodedata.category(char) != "Cc"
        ).strip()


class FormTokenMixin(forms.Form):
    """A random token per rendered form: posting the same form twice makes one video."""

    form_token = forms.UUIDField(required=False, widget=forms.HiddenInput)


class VideoForm(FormTokenMixin):
    prompt = PromptField(
        help_text="Describe the scene, the subject, the camera and the light. "
        "Up to 4000 characters."
    )
    model = forms.ChoiceField()
    size = forms.ChoiceField(
        help_text="Portrait is tall, landscape wide; then width × height in pixels."
    )
    seconds = forms.TypedChoiceField(coerce=int, label="Length")
    input_reference = forms.FileField(
        required=False,
        label="Reference image",
        help_text="JPEG, PNG or WebP, at most 10 MB, exactly the chosen size. "
        "Some models need one; some take none.",
        # A plain file input: there is never a stored file to keep or clear here.
        widget=forms.FileInput(attrs={"accept": ",".join(REFERENCE_FORMATS.values())}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The uploaded reference image's width and height, once it has been read.
        self.reference_size: tuple[int, int] | None = None
        models = profiles.models()
        self._choice_field("model").choices = [(m, m) for m in models]
        self.fields["model"].initial = models[0] if models else None
        self._choice_field("size").choices = [
            (size, size_label(size)) for size in profiles.all_sizes()
        ]
        self._choice_field("seconds").choices = [
            (s, f"{s} seconds") for s in profiles.all_seconds()
        ]
        self.fields["seconds"].initial = min(profiles.all_seconds(), default=None)
        chosen = self.chosen_profile()
        self.fields["input_reference"].label = REFERENCE_LABELS[chosen.reference_image]
        # Shown (and tied to the select) under the model; the script swaps it. The
        # bound field, made above to read the chosen model, gets the text too.
        description = model_description(chosen)
        self.fields["model"].help_text = self["model"].help_text = description

    def _choice_field(self, name: str) -> forms.ChoiceField:
        """This form's own copy of a choice field, whose choices come from the hosts."""
        field = self.fields[name]
        if not isinstance(field, forms.ChoiceField):
            raise TypeError(f"{name} is a {type(field).__name__}, not a ChoiceField")
        return field

    def chosen_profile(self) -> profiles.ModelProfile:
        """The profile of the model the form shows as chosen (for the cost panel)."""
        return profiles.profile_for(
            str(self["model"].value() or self.fields["model"].initial or "")
        )

    def chosen_seconds(self) -> int | None:
        """The length the form shows as chosen: what the quota check weighs."""
        try:
            return int(self["seconds"].value() or self.fields["seconds"].initial)
        except (TypeError, ValueError):
            return None

    def estimated_cost(self) -> Decimal | None:
        """What the chosen length costs at the host's price, when the price is known."""
        seconds = self.chosen_seconds()
        return None if seconds is None else self.chosen_profile().cost(seconds)

    def prompt_length(self) -> int:
        """Characters in the prompt as shown, for the counter under it."""
        return len(str(self["prompt"].value() or ""))

    @property
    def prompt_max_length(self) -> int:
        return PROMPT_MAX_LENGTH

    @property
    def reference_max_bytes(self) -> int:
        return REFERENCE_MAX_BYTES

    def model_descriptions(self) -> dict[str, str]:
        """Each offered model's line under the model field, for the page's script."""
        return {
            name: model_description(profile)
            for name, profile in profiles.model_table().items()
        }

    def quota_starts_over(self) -> str:
        """When the quota starts over, in the site's time zone (the one it counts in)."""
        return QUOTA_STARTS_OVER.format(zone=timezone.get_current_timezone_name())

    def client_messages(self) -> dict[str, str]:
        """The server's own wording, for the checks the page makes before sending."""
        return {
            "reference_wrong_size": REFERENCE_WRONG_SIZE,
            "reference_too_large": REFERENCE_TOO_LARGE,
            "reference_unreadable": REFERENCE_UNREADABLE,
            "quota_used_up": QUOTA_USED_UP,
            "quota_too_short": QUOTA_TOO_SHORT,
            "quota_starts_over": self.quota_starts_over(),
        }

    def clean_input_reference(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("input_reference")
        if not upload:
            return None
        if upload.size > REFERENCE_MAX_BYTES:
            raise forms.ValidationError(
                REFERENCE_TOO_LARGE.format(size=upload.size / 1024 / 1024)
            )
        try:
            upload.seek(0)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
                self.reference_size = image.size
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise forms.ValidationError(REFERENCE_UNREADABLE) from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            # Pillow refuses (or, where warnings are errors, warns about) a header
            # that claims a huge image: a few bytes that would decode to gigabytes.
            # It does so only while MAX_IMAGE_PIXELS is set (None turns it off).
            limit = (Image.MAX_IMAGE_PIXELS or 0) // 10**6
            raise forms.ValidationError(
                REFERENCE_TOO_MANY_PIXELS.format(limit=limit)
            ) from error
        finally:
            upload.seek(0)
        if image_format not in REFERENCE_FORMATS:
            raise forms.ValidationError(
                "The reference image must be JPEG, PNG or WebP (this one is %(format)s).",
                params={"format": image_format or "unknown"},
            )
        upload.content_type = REFERENCE_FORMATS[image_format]
        return upload

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean returns
        model, size, seconds = (cleaned.get(k) for k in ("model", "size", "seconds"))
        upload = cleaned.get("input_reference")
        if not model:
            return cleaned
        profile = profiles.profile_for(model)
        if size and size not in profile.sizes:
            self.add_error(
                "size",
                f"{model} does not make {size} videos; choose one of "
                f"{', '.join(profile.sizes)}.",
            )
            size = None
        if seconds:
            self._check_seconds(profile, size, seconds, with_reference=bool(upload))
        self._check_reference(profile, upload, size)
        return cleaned

    def _check_seconds(
        self,
        profile: profiles.ModelProfile,
        size: str | None,
        seconds: int,
        *,
        with_reference: bool,
    ) -> None:
        allowed = profile.seconds_for(size, with_reference=with_reference)
        if seconds in allowed:
            return
        lengths = ", ".join(str(s) for s in allowed) or "no"
        if seconds in profile.seconds and size in profile.seconds_by_size:
            why = f"at {size}"
        elif seconds in profile.seconds and with_reference:
            why = "with a reference image"
        else:
            why = ""
        where = f" {why}" if why else ""
        self.add_error(
            "seconds",
            f"{profile.name} makes videos of {lengths} seconds{where}, not {seconds}.",
        )

    def _check_reference(
        self,
        profile: profiles.ModelProfile,
        upload: UploadedFile | None,
        size: str | None,
    ) -> None:
        if "input_reference" in self.errors:
            return
        if upload is None and profile.reference_image == "required":
            self.add_error(
                "input_reference",
                f"{profile.name} animates a reference image: add one (JPEG, PNG or "
                "WebP, exactly the chosen size).",
            )
        elif upload is not None and profile.reference_image == "none":
            self.add_error(
                "input_reference",
                f"{profile.name} makes videos from the prompt alone and takes no "
                "reference image; remove it or choose another model.",
            )
        elif upload is not None and size and self.reference_size is not None:
            # reference_size: set by clean_input_reference, which passed this upload.
            expected = profiles.dimensions(size)
            if self.reference_size != expected:
                width, height = self.reference_size
                self.add_error(
                    "input_reference",
                    REFERENCE_WRONG_SIZE.format(
                        width=width,
                        height=height,
                        expected_width=expected[0],
                        expected_height=expected[1],
                    ),
                )


def model_description(profile: profiles.ModelProfile) -> str:
    """The host profile's description, or at least where the model runs."""
    return profile.description or f"{profile.name}, served by {profiles.host_name()}."


class RemixForm(FormTokenMixin):
    prompt = PromptField(
        label="Remix prompt",
        help_text="Describe what to change; the new video keeps the original's "
        "model, size and length.",
    )
