"""The composer: every parameter of the API, the source and reference images, and the
server-side checks that decide what may be sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from studio.teams.models import Team
from studio.uploads import staging
from studio.uploads.models import StagedUpload
from studio.uploads.validation import NormalisedImage, display_name, normalise_upload
from studio.upstream import facts

from .form_renderer import ComposerRenderer

log = logging.getLogger("studio.generations")

TYPE_LABELS = {"image": "Generate", "image_edit": "Edit an image"}
STYLE_LABELS = {"auto": "Auto", "manga": "Manga"}
MODEL_LABELS = {"uni-1": "uni-1", "uni-1-max": "uni-1-max"}
FORMAT_LABELS = {"png": "PNG", "jpeg": "JPEG"}
ACCEPT = ",".join(facts.INLINE_MEDIA_TYPES)
URL_MAX_CHARS = 2000
# No honest form sends more files than this in one field; past it none is even opened.
MAX_FILES_PER_FIELD = 2 * max(facts.MAX_REFS.values())
RATIO_BOX_PX = 26


def _labelled(values: list[str], labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(v, labels.get(v, v)) for v in values]


def _invalid_choice(what: str, values: list[str]) -> dict[str, str]:
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


def _prompt_length(value: str) -> None:
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


@dataclass(frozen=True)
class Kept:
    """A staged upload as the template shows it."""

    token: str
    name: str
    width: int
    height: int

    @classmethod
    def of(cls, staged: StagedUpload) -> Kept:
        return cls(staged.token, staged.original_name, staged.width, staged.height)


def _tokens(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v]


class GenerationForm(forms.Form):
    default_renderer = ComposerRenderer()
    prompt = PromptField(
        strip=True,
        validators=[_prompt_length],
        error_messages={"required": "Describe the image: the prompt is empty."},
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "Describe the image…", "spellcheck": "true"}
        ),
        help_text=f"What to make or change, up to {facts.PROMPT_MAX_CHARS:,} characters.",
    )
    type = forms.ChoiceField(
        choices=_labelled(facts.TYPES, TYPE_LABELS),
        initial="image",
        widget=forms.RadioSelect,
        error_messages=_invalid_choice("a type", facts.TYPES),
        help_text="Make a new image, or change an existing one (the source image).",
    )
    source = RawFileField(
        required=False,
        label="Source image",
        widget=forms.FileInput(attrs={"accept": ACCEPT, "class": "drop-input"}),
        help_text="The image to edit: JPEG, PNG or WebP.",
    )
    source_url = forms.CharField(
        required=False,
        label="Or the source image's URL",
        widget=forms.URLInput(attrs={"placeholder": "https://…", "inputmode": "url"}),
        help_text="An http(s) address the provider can download.",
    )
    image_ref = RawFilesField(
        required=False,
        label="Reference images",
        widget=MultipleFileInput(attrs={"accept": ACCEPT, "class": "drop-input"}),
        help_text=(
            f"Up to {facts.MAX_REFS['image']} images that guide subject, style or composition "
            f"({facts.MAX_REFS['image_edit']} when editing: the source takes a slot)."
        ),
    )
    image_ref_url = URLListField(
        required=False,
        label="Or reference image URLs",
        widget=URLListWidget(
            attrs={"rows": 3, "placeholder": "https://…", "spellcheck": "false", "wrap": "off"}
        ),
        help_text="One http(s) address per line.",
    )
    aspect_ratio = forms.ChoiceField(
        choices=[(v, v) for v in facts.ASPECT_RATIOS],
        initial="1:1",
        widget=forms.RadioSelect,
        error_messages=_invalid_choice("an aspect ratio", facts.ASPECT_RATIOS),
        help_text=f"Width to height; the long side is always {facts.OUTPUT_LONG_SIDE:,} px.",
    )
    style = forms.ChoiceField(
        choices=_labelled(facts.STYLES, STYLE_LABELS),
        initial="auto",
        error_messages=_invalid_choice("a style", facts.STYLES),
        help_text="A preset look.",
    )
    model = forms.ChoiceField(
        choices=_labelled(facts.MODELS, MODEL_LABELS),
        initial="uni-1",
        error_messages=_invalid_choice("a model", facts.MODELS),
        help_text="max: finer, slower, pricier.",
    )
    output_format = forms.ChoiceField(
        choices=_labelled(facts.OUTPUT_FORMATS, FORMAT_LABELS),
        initial="png",
        label="Output format",
        error_messages=_invalid_choice("an output format", facts.OUTPUT_FORMATS),
        help_text="PNG lossless, JPEG smaller.",
    )
    web_search = forms.BooleanField(
        required=False,
        label="Web search",
        help_text="Let the agent search the web for reference images before generating.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label="Share with team",
        empty_label="No one: only me",
        error_messages={
            "invalid_choice": "Select a valid choice. You cannot share with that team."
        },
        help_text="Members of the team will see it in the team's gallery.",
    )

    def __init__(self, data=None, files=None, *, user=None, **kwargs) -> None:
        super().__init__(data, files, **kwargs)
        self.user = user if user is not None and user.is_authenticated else None
        if self.user is not None:
            self.fields["team"].queryset = Team.objects.shareable_by(self.user)
        self._kept_source: StagedUpload | None = None
        self._kept_refs: list[StagedUpload] = []
        self._new_source: NormalisedImage | None = None
        self._new_refs: list[NormalisedImage] = []
        self._source_url = ""
        self._ref_urls: list[str] = []
        self._initial_kept: tuple[Kept | None, list[Kept]] | None = None

    # --- reading what was posted --------------------------------------------------------

    def _posted(self, name: str) -> list[str]:
        if hasattr(self.data, "getlist"):
            values = [v for v in self.data.getlist(name) if v]
        else:
            values = _tokens(self.data.get(name))
        if name in ("kept_source", "kept_ref"):
            # Without JavaScript a kept image is removed by ticking its "Remove" box.
            dropped = set(self._posted("drop_kept"))
            values = [v for v in values if v not in dropped]
        return values

    def _current_choice(self, name: str, allowed: list[str], default: str) -> str:
        value = self[name].value()
        return value if value in allowed else default

    # --- validation ---------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        type_ = cleaned.get("type")
        is_edit = type_ == "image_edit" or "type" in self.errors
        source_file = cleaned.get("source")
        ref_files = cleaned.get("image_ref") or []
        self._ref_urls = list(cleaned.get("image_ref_url") or [])
        raw_source_url = (cleaned.get("source_url") or "").strip()

        kept_source, missing_source = staging.resolve(self.user, self._posted("kept_source")[:1])
        self._kept_refs, missing_refs = staging.resolve(self.user, self._posted("kept_ref"))
        if missing_refs:
            self.add_error("image_ref", self._gone_message(len(missing_refs)))

        # The source: a new upload replaces a kept one; an upload and a URL conflict.
        source_failed = False
        if source_file is not None:
            try:
                self._new_source = normalise_upload(source_file)
            except ValidationError as exc:
                source_failed = True
                # A source left behind after switching to Generate is not the user's concern.
                if is_edit:
                    self.add_error("source", exc)
        self._kept_source = None if self._new_source else (kept_source[0] if kept_source else None)
        if missing_source and is_edit and not self._new_source:
            self.add_error("source", self._gone_message(1))
            source_failed = True
        has_source_image = bool(self._new_source or self._kept_source)
        if is_edit and raw_source_url:
            if has_source_image or source_failed:
                self.add_error(
                    "source_url",
                    "Give the source image as an upload or as a URL, not both: remove one.",
                )
            else:
                try:
                    self._source_url = check_image_url(raw_source_url)
                except ValidationError as exc:
                    self.add_error("source_url", exc)
                    source_failed = True
        if type_ == "image_edit" and not (has_source_image or self._source_url or source_failed):
            self.add_error("source", "Editing needs a source image: upload one or give its URL.")

        # References: each file checked on its own so every error can name its file.
        if len(ref_files) > MAX_FILES_PER_FIELD:
            self.add_error(
                "image_ref",
                f"{len(ref_files)} files were sent at once; choose at most "
                f"{facts.MAX_REFS['image']}.",
            )
        else:
            for upload in ref_files:
                try:
                    self._new_refs.append(normalise_upload(upload))
                except ValidationError as exc:
                    self.add_error("image_ref", exc)

        given = len(self._kept_refs) + len(ref_files) + len(self._ref_urls)
        if type_ in facts.MAX_REFS and given > facts.MAX_REFS[type_]:
            limit = facts.MAX_REFS[type_]
            when = "to generate" if type_ == "image" else "when editing (the source takes one)"
            self.add_error(
                "image_ref",
                f"{given} reference images were given; at most {limit} can be used {when}. "
                f"Remove {given - limit}.",
            )
        return cleaned

    @staticmethod
    def _gone_message(n: int) -> str:
        what = "A kept image is" if n == 1 else f"{n} kept images are"
        return f"{what} no longer available (kept images last a day): choose the file again."

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self._errors and self.user is not None:
            self._stage_new_uploads()

    def _stage_new_uploads(self) -> None:
        """Keep every upload that passed, so the form comes back without losing them."""
        try:
            if self._new_source is not None:
                self._kept_source = staging.stage(self.user, self._new_source)
                self._new_source = None
            while self._new_refs:
                self._kept_refs.append(staging.stage(self.user, self._new_refs[0]))
                self._new_refs.pop(0)
        except OSError:
            log.exception("could not keep an upload for user %s", self.user.pk)

    # --- results ------------------------------------------------------------------------

    def inputs(self) -> list[dict[str, Any]]:
        """Images for services.create_generation: the source first (edits only), then the
        references: kept ones, new uploads, then URLs."""
        if not self.is_valid():
            raise ValueError("inputs() needs a valid form")
        items: list[dict[str, Any]] = []
        if self.cleaned_data["type"] == "image_edit":
            items.append(self._source_item())
        for staged in self._kept_refs:
            items.append(self._staged_item("reference", staged))
        for image in self._new_refs:
            items.append(self._image_item("reference", image))
        for url in self._ref_urls:
            items.append({"role": "reference", "url": url})
        return items

    def _source_item(self) -> dict[str, Any]:
        if self._new_source is not None:
            return self._image_item("source", self._new_source)
        if self._kept_source is not None:
            return self._staged_item("source", self._kept_source)
        return {"role": "source", "url": self._source_url}

    @staticmethod
    def _image_item(role: str, image: NormalisedImage) -> dict[str, Any]:
        return {
            "role": role,
            "content": image.content,
            "media_type": image.media_type,
            "width": image.width,
            "height": image.height,
            "name": image.name,
        }

    @staticmethod
    def _staged_item(role: str, staged: StagedUpload) -> dict[str, Any]:
        return {
            "role": role,
            "content": staging.read(staged),
            "media_type": staged.media_type,
            "width": staged.width,
            "height": staged.height,
            "name": staged.original_name or display_name(staged.file.name),
        }

    def current_type(self) -> str:
        return self._current_choice("type", facts.TYPES, "image")

    def current_model(self) -> str:
        return self._current_choice("model", facts.MODELS, "uni-1")

    def max_refs(self) -> int:
        return facts.MAX_REFS[self.current_type()]

    def reference_count(self) -> int:
        """References the form holds now: kept, new (valid) uploads and URL lines."""
        if not self.is_bound:
            return len(self.kept_ref_items) + len(split_urls(self["image_ref_url"].value()))
        if not hasattr(self, "cleaned_data"):
            files = self.files.getlist("image_ref") if hasattr(self.files, "getlist") else []
            return (
                len(self._posted("kept_ref"))
                + len(files)
                + len(split_urls(self["image_ref_url"].value()))
            )
        return (
            len(self._kept_refs)
            + len(self._new_refs)
            + len(split_urls(self["image_ref_url"].value()))
        )

    def estimated_price(self) -> Decimal:
        return facts.estimate_price(
            model=self.current_model(),
            type=self.current_type(),
            ref_count=min(self.reference_count(), self.max_refs()),
        )

    # --- rendering helpers --------------------------------------------------------------

    @property
    def kept_source_item(self) -> Kept | None:
        if self.is_bound:
            self.errors  # noqa: B018 - make sure validation (and staging) has run
            return Kept.of(self._kept_source) if self._kept_source else None
        return self._from_initial()[0]

    @property
    def kept_ref_items(self) -> list[Kept]:
        if self.is_bound:
            self.errors  # noqa: B018
            return [Kept.of(s) for s in self._kept_refs]
        return self._from_initial()[1]

    def _from_initial(self) -> tuple[Kept | None, list[Kept]]:
        if self._initial_kept is None:
            source, _ = staging.resolve(self.user, _tokens(self.initial.get("kept_source"))[:1])
            refs, _ = staging.resolve(self.user, _tokens(self.initial.get("kept_ref")))
            self._initial_kept = (
                Kept.of(source[0]) if source else None,
                [Kept.of(s) for s in refs],
            )
        return self._initial_kept

    def prompt_counter(self) -> str:
        value = self["prompt"].value() or ""
        value = value.replace("\r\n", "\n")
        return f"{len(value):,} / {facts.PROMPT_MAX_CHARS:,}"

    def prompt_over_limit(self) -> bool:
        return len((self["prompt"].value() or "").replace("\r\n", "\n")) > facts.PROMPT_MAX_CHARS

    def ratio_options(self) -> list[dict[str, Any]]:
        """The aspect-ratio radios, each with the size of the little shape that shows it."""
        options = []
        for radio in self["aspect_ratio"]:
            w, h = (int(n) for n in str(radio.data["value"]).split(":"))
            scale = RATIO_BOX_PX / max(w, h)
            options.append(
                {"radio": radio, "w": max(4, round(w * scale)), "h": max(4, round(h * scale))}
            )
        return options

    def show_team(self) -> bool:
        return self.user is not None and self.fields["team"].queryset.exists()

    def client_config(self) -> dict[str, Any]:
        """What composer.js needs, from the one place each figure is kept."""
        return {
            "prices": facts.price_table(),
            "max_refs": facts.MAX_REFS,
            "max_bytes": settings.UPLOAD_MAX_BYTES,
            "prompt_max": facts.PROMPT_MAX_CHARS,
            "media_types": facts.INLINE_MEDIA_TYPES,
        }

    def error_summary(self) -> list[dict[str, str]]:
        """Every error, with the id of the control to jump to."""
        anchors = {"type": "id_type_0", "aspect_ratio": "id_aspect_ratio_0"}
        items = []
        for name, errors in self.errors.items():
            if name == "__all__":
                items += [{"anchor": "id_prompt", "label": "", "message": e} for e in errors]
                continue
            label = str(self.fields[name].label or name.replace("_", " ").capitalize())
            for message in errors:
                anchor = anchors.get(name, f"id_{name}")
                items.append({"anchor": anchor, "label": label, "message": message})
        return items
