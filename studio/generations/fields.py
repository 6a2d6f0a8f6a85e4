"""The composer's own fields and widgets: the prompt as users count it, files taken as
given (the form checks each so its errors can name the file), and image URLs, one per line,
limited to what the provider can fetch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from studio.upstream import facts

URL_MAX_CHARS = 2000


def labelled(values: list[str], labels: dict[str, str]) -> list[tuple[str, str]]:
    """Choices for API values, each shown with its label (or as itself)."""
    return [(v, labels.get(v, v)) for v in values]


def choice_errors(what: str, values: list[str]) -> dict[str, str]:
    """Error messages for a choice of one of the API's values, naming the values allowed."""
    allowed = ", ".join(values)
    return {
        "invalid_choice": (
            f"Select a valid choice. “%(value)s” is not {what} the API accepts ({allowed})."
        ),
        "required": f"Choose {what}.",
    }


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_image_url(value: str) -> str:
    """An image address the provider can fetch: absolute http(s) only (no javascript:,
    data:, file: or ftp:). Returns it stripped; raises ValidationError naming it."""
    url = value.strip()
    shown = _short(url)
    scheme = urlsplit(url).scheme.lower() if ":" in url else ""
    if not scheme and not url.startswith("//") and (" " in url or "." not in url):
        # "not a url" is no address at all: the scheme message ("only http://…") would
        # suggest that adding one fixes it. ("example.com/a.png" gets the scheme message.)
        raise ValidationError(f"“{shown}”: this is not a valid web address.", code="url_invalid")
    if scheme not in ("http", "https"):
        raise ValidationError(
            f"“{shown}”: only http:// and https:// addresses can be used.", code="url_scheme"
        )
    if len(url) > URL_MAX_CHARS:
        raise ValidationError(
            f"“{shown}”: the address is longer than {URL_MAX_CHARS:,} characters.",
            code="url_length",
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            f"“{shown}”: this is not a valid web address.", code="url_invalid"
        ) from None
    return url


class PromptField(forms.CharField):
    def to_python(self, value: Any) -> str:
        # Browsers send line breaks as CRLF; count each as one character, as users see it.
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return super().to_python(value)


def prompt_length(value: str) -> None:
    """The API's prompt limit, with how much to remove."""
    if len(value) > facts.PROMPT_MAX_CHARS:
        raise ValidationError(
            f"The prompt is {len(value):,} characters long; the limit is "
            f"{facts.PROMPT_MAX_CHARS:,}. Remove {len(value) - facts.PROMPT_MAX_CHARS:,}.",
            code="max_length",
        )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class RawFilesField(forms.Field):
    """The uploaded files as given, as a list; GenerationForm.clean checks each one so every
    error can name its file."""

    widget = MultipleFileInput

    def to_python(self, data: Any) -> list:
        if not data:
            return []
        if not isinstance(data, list | tuple):
            data = [data]
        return [f for f in data if f]


class RawFileField(forms.Field):
    widget = forms.FileInput

    def to_python(self, data: Any):
        if isinstance(data, list | tuple):
            data = data[-1] if data else None
        return data or None


class URLListWidget(forms.Textarea):
    """One URL per line; several `image_ref_url` values in the POST are accepted too."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            values = data.getlist(name)
        else:
            value = data.get(name)
            values = value if isinstance(value, list | tuple) else [value]
        values = [str(v) for v in values if v is not None]
        return "\n".join(values) if values else None

    def format_value(self, value):
        if isinstance(value, list | tuple):
            value = "\n".join(value)
        return super().format_value(value)


def split_urls(value: Any) -> list[str]:
    """The non-empty lines of a URL list, from text or a list of values."""
    if not value:
        return []
    if isinstance(value, list | tuple):
        value = "\n".join(str(v) for v in value)
    return [line.strip() for line in str(value).splitlines() if line.strip()]


class URLListField(forms.Field):
    widget = URLListWidget

    def to_python(self, value: Any) -> list[str]:
        return split_urls(value)

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        errors = []
        for url in value:
            try:
                check_image_url(url)
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationError(errors)


def tokens(value: Any) -> list[str]:
    """Kept-upload tokens from one value or several (as initial data holds them)."""
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v]
