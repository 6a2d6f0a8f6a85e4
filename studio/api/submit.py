"""The one way the API hands a submission to the studio: the token's team rule, then the
submission gate the form goes through (studio.generations.gate: suspension, the form's
validation, the rate limit, the budget reserved in the transaction that saves the rows),
each refusal raised as `Refused` for the endpoint family to turn into its own status and
error shape.

Nothing refused is saved or sent. The inputs are handed to `GenerationForm` as the form
would receive them (inline images as uploaded files), so every rule of the form holds here:
types, pixel and byte limits, reference counts, URL checks, the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from studio.accounts.models import ApiToken
from studio.generations import batches, gate, services
from studio.generations.forms import GenerationForm
from studio.generations.models import Generation

from . import tokens

# The form's field names as the API calls them.
API_FIELD = {"source_url": "source", "image_ref_url": "image_ref", "count": "n"}


@dataclass
class Refused(Exception):
    """`reason`: forbidden | suspended | invalid | rate_limited | over_budget."""

    reason: str
    message: str
    retry_after: int | None = None
    # (field, message) pairs for `invalid`, the field named as the API names it.
    errors: list[tuple[str, str]] = field(default_factory=list)
    # The error code to answer (OpenAI shape) when it is not the reason's own.
    code: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class Image:
    """An input image as the API received it: inline bytes or a URL."""

    content: bytes | None = None
    media_type: str = ""
    url: str = ""
    name: str = ""


def submit(
    *,
    token: ApiToken,
    params: dict[str, Any],
    source: Image | None = None,
    refs: list[Image] | None = None,
    count: int = 1,
    end_user: str = "",
) -> list[Generation]:
    """Make `count` generations for the token's person (and team), or raise `Refused`."""
    user = token.user
    if tokens.team_lapsed(token):
        raise Refused(
            "forbidden",
            f"This token belongs to team “{token.team.name}”, where you are no longer an "
            "editor or owner: it can read, but not create. Make a new token.",
        )
    form = _form(token, params, source, refs or [], count)
    try:
        gate.admit(user=user, form=form)
        data = {**form.cleaned_data, "api_token": token, "end_user": end_user[:200]}
        return batches.create(
            user=user,
            data=data,
            inputs=form.inputs(),
            team=form.cleaned_data.get("team"),
            count=count,
        )
    except gate.SubmissionRefused as refused:
        raise _refused(refused, form) from None


def _refused(refused: gate.SubmissionRefused, form: GenerationForm) -> Refused:
    """The gate's refusal in the API's words (its families answer each reason)."""
    if refused.reason == gate.INVALID:
        return Refused("invalid", _summary(form), errors=_errors(form))
    if refused.reason == gate.RATE_LIMITED:
        return Refused(
            "rate_limited",
            f"Too many submissions: try again in {refused.retry_after} s. "
            "Nothing was saved or sent.",
            retry_after=refused.retry_after,
        )
    return Refused(refused.reason, refused.message)


def _form(token, params, source: Image | None, refs: list[Image], count: int) -> GenerationForm:
    # What the provider assumes for a field left out is what the composer starts with.
    data = MultiValueDict(
        {
            name: [str(field.initial)]
            for name, field in GenerationForm.base_fields.items()
            if name in services.PARAM_FIELDS and field.initial is not None
        }
    )
    for key, value in params.items():
        if value is None:
            continue
        if key == "web_search":
            if value:
                data["web_search"] = "on"
        else:
            data[key] = str(value)
    data["count"] = str(count)
    if token.team_id:
        data["team"] = token.team.slug
    files = MultiValueDict()
    if source is not None:
        if source.url:
            data["source_url"] = source.url
        else:
            files["source"] = _file(source, "source")
    ref_urls = [r.url for r in refs if r.url]
    if ref_urls:
        data["image_ref_url"] = "\n".join(ref_urls)
    files.setlist(
        "image_ref", [_file(r, f"image_ref-{i}") for i, r in enumerate(refs) if not r.url]
    )
    return GenerationForm(data, files, user=token.user)


def _file(image: Image, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(image.name or name, image.content or b"", image.media_type)


def _errors(form: GenerationForm) -> list[tuple[str, str]]:
    out = []
    for name, messages in form.errors.items():
        api_name = API_FIELD.get(name, name if name != "__all__" else "body")
        out += [(api_name, str(m)) for m in messages]
    return out


def _summary(form: GenerationForm) -> str:
    return "; ".join(f"{name}: {message}" for name, message in _errors(form))
