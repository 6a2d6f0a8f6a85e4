"""The composer's form: every parameter of the API, the source and reference images, and
the server-side checks that decide what may be sent.

It validates and never writes. When it fails, the view keeps the uploads that passed
(services.keep_valid_uploads, through `uploads_to_keep` and `keep`), so the form comes
back showing them as kept. Its fields are in fields.py; what the template shows from it
(counters, price, error summary) in composer.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from studio.teams.models import Team
from studio.uploads import staging
from studio.uploads.models import StagedUpload
from studio.uploads.validation import NormalisedImage, display_name, normalise_upload
from studio.upstream import facts

from . import access
from .composer import ComposerDisplay, Kept
from .fields import (
    MultipleFileInput,
    PromptField,
    RawFileField,
    RawFilesField,
    URLListField,
    URLListWidget,
    check_image_url,
    choice_errors,
    labelled,
    prompt_length,
    tokens,
)
from .form_renderer import ComposerRenderer
from .models import Generation, Lineage

TYPE_LABELS = {"image": "Generate", "image_edit": "Edit an image"}
STYLE_LABELS = {"auto": "Auto", "manga": "Manga"}
MODEL_LABELS = {"uni-1": "uni-1", "uni-1-max": "uni-1-max"}
FORMAT_LABELS = {"png": "PNG", "jpeg": "JPEG"}
ACCEPT = ",".join(facts.INLINE_MEDIA_TYPES)
# No honest form sends more files than this in one field; past it none is even opened.
MAX_FILES_PER_FIELD = 2 * max(facts.MAX_REFS.values())


class GenerationForm(ComposerDisplay, forms.Form):
    default_renderer = ComposerRenderer()
    prompt = PromptField(
        strip=True,
        validators=[prompt_length],
        error_messages={"required": "Describe the image: the prompt is empty."},
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "Describe the image…", "spellcheck": "true"}
        ),
        help_text=f"What to make or change, up to {facts.PROMPT_MAX_CHARS:,} characters.",
    )
    type = forms.ChoiceField(
        choices=labelled(facts.TYPES, TYPE_LABELS),
        initial="image",
        widget=forms.RadioSelect,
        error_messages=choice_errors("a type", facts.TYPES),
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
        error_messages=choice_errors("an aspect ratio", facts.ASPECT_RATIOS),
        help_text=f"Width to height; the long side is always {facts.OUTPUT_LONG_SIDE:,} px.",
    )
    style = forms.ChoiceField(
        choices=labelled(facts.STYLES, STYLE_LABELS),
        initial="auto",
        error_messages=choice_errors("a style", facts.STYLES),
        help_text="A preset look.",
    )
    model = forms.ChoiceField(
        choices=labelled(facts.MODELS, MODEL_LABELS),
        initial="uni-1",
        error_messages=choice_errors("a model", facts.MODELS),
        help_text="max: finer, slower, pricier.",
    )
    output_format = forms.ChoiceField(
        choices=labelled(facts.OUTPUT_FORMATS, FORMAT_LABELS),
        initial="png",
        label="Output format",
        error_messages=choice_errors("an output format", facts.OUTPUT_FORMATS),
        help_text="PNG lossless, JPEG smaller.",
    )
    web_search = forms.BooleanField(
        required=False,
        label="Web search",
        help_text="Let the agent search the web for reference images before generating.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        to_field_name="slug",  # the field takes a team's slug (DESIGN.md), never its id
        required=False,
        label="Share with team",
        empty_label="No one: only me",
        error_messages={
            "invalid_choice": "Select a valid choice. You cannot share with that team."
        },
        help_text="Members of the team will see it in the team's gallery.",
    )
    count = forms.IntegerField(
        required=False,
        initial=1,
        label="Images",
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
        error_messages={"invalid": "Give the number of images as a whole number."},
        help_text="Variations of this prompt, each its own job and its own price.",
    )

    # Lineage: a Remix or "Edit this image" form says what it came from. Hidden,
    # and checked against access in clean_derived_from: no one may claim a parent they
    # cannot see (such a claim is dropped, as if it had not been sent).
    derived_from = forms.IntegerField(required=False, widget=forms.HiddenInput)
    derived_kind = forms.ChoiceField(
        required=False, choices=[("", ""), *Lineage.choices], widget=forms.HiddenInput
    )

    def __init__(self, data=None, files=None, *, user=None, share_teams=None, **kwargs) -> None:
        """`share_teams`: the teams `user` may share with, when the page has read them
        already (the form still checks a posted team against the database)."""
        super().__init__(data, files, **kwargs)
        self.user = user if user is not None and user.is_authenticated else None
        self._share_teams = share_teams if self.user is not None else None
        if self.user is not None:
            self.fields["team"].queryset = Team.objects.shareable_by(self.user)
        # Read here, not at import, so an operator's STUDIO_BATCH_MAX (and a test's) holds.
        self.fields["count"].widget.attrs["max"] = settings.BATCH_MAX
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
            values = tokens(self.data.get(name))
        if name in ("kept_source", "kept_ref"):
            # Without JavaScript a kept image is removed by ticking its "Remove" box.
            dropped = set(self._posted("drop_kept"))
            values = [v for v in values if v not in dropped]
        return values

    # --- validation ---------------------------------------------------------------------

    def clean_count(self) -> int:
        count = self.cleaned_data.get("count")
        if count is None:
            return 1  # not sent (an older page, a script): one image, as before batches
        limit = settings.BATCH_MAX
        if not 1 <= count <= limit:
            raise ValidationError(
                f"Ask for 1 to {limit} images at once; {count} cannot be made.",
                code="count_range",
            )
        return count

    def clean_derived_from(self) -> Generation | None:
        parent_id = self.cleaned_data.get("derived_from")
        if parent_id is None or self.user is None:
            return None
        return access.visible_generations(self.user).filter(pk=parent_id).first()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        type_ = cleaned.get("type")
        # With the type itself invalid, the source's errors are shown as for an edit.
        is_edit = type_ == "image_edit" or "type" in self.errors
        ref_files = cleaned.get("image_ref") or []
        self._ref_urls = list(cleaned.get("image_ref_url") or [])

        self._kept_refs, missing_refs = staging.resolve(self.user, self._posted("kept_ref"))
        if missing_refs:
            self.add_error("image_ref", self._gone_message(len(missing_refs)))

        source_failed = self._clean_source(cleaned.get("source"), is_edit=is_edit)
        raw_source_url = (cleaned.get("source_url") or "").strip()
        if is_edit and raw_source_url:
            source_failed = self._clean_source_url(raw_source_url, source_failed) or source_failed
        has_source = self._new_source or self._kept_source or self._source_url
        if type_ == "image_edit" and not (has_source or source_failed):
            self.add_error("source", "Editing needs a source image: upload one or give its URL.")

        if self._clean_reference_files(ref_files):
            # Count only the files that passed: a refused one is already reported (and not
            # kept), so "remove N" must not count it again.
            self._check_reference_count(type_, len(self._new_refs))
        if not self._lineage_holds(cleaned):
            cleaned["derived_from"], cleaned["derived_kind"] = None, ""
        return cleaned

    def _lineage_holds(self, cleaned: dict[str, Any]) -> bool:
        """A claimed parent is kept when it may be seen (clean_derived_from) and, for an
        edit, the source is still that parent's image (not one uploaded in its place)."""
        parent, kind = cleaned.get("derived_from"), cleaned.get("derived_kind")
        if parent is None or not kind:
            return False
        if kind != Lineage.EDIT:
            return True
        origin = self._kept_source.origin if self._kept_source else ""
        return origin in {f"output:{pk}" for pk in parent.outputs.values_list("pk", flat=True)}

    def _clean_source(self, upload, *, is_edit: bool) -> bool:
        """The source image, where a new upload replaces a kept one. True when the source
        given cannot be used."""
        kept, missing = staging.resolve(self.user, self._posted("kept_source")[:1])
        failed = False
        if upload is not None:
            try:
                self._new_source = normalise_upload(upload)
            except ValidationError as exc:
                failed = True
                # A source left behind after switching to Generate is not the user's concern.
                if is_edit:
                    self.add_error("source", exc)
        self._kept_source = None if self._new_source else (kept[0] if kept else None)
        if missing and is_edit and not self._new_source:
            self.add_error("source", self._gone_message(1))
            failed = True
        return failed

    def _clean_source_url(self, raw: str, source_failed: bool) -> bool:
        """The source as a URL, which conflicts with an upload. True when the URL is bad."""
        if self._new_source or self._kept_source or source_failed:
            self.add_error(
                "source_url",
                "Give the source image as an upload or as a URL, not both: remove one.",
            )
            return False
        try:
            self._source_url = check_image_url(raw)
        except ValidationError as exc:
            self.add_error("source_url", exc)
            return True
        return False

    def _clean_reference_files(self, files: list) -> bool:
        """Each file checked on its own so every error can name its file. False when too
        many were sent to check at all."""
        if len(files) > MAX_FILES_PER_FIELD:
            self.add_error(
                "image_ref",
                f"{len(files)} files were sent at once; choose at most {facts.MAX_REFS['image']}.",
            )
            return False
        for upload in files:
            try:
                self._new_refs.append(normalise_upload(upload))
            except ValidationError as exc:
                self.add_error("image_ref", exc)
        return True

    def _check_reference_count(self, type_: str | None, file_count: int) -> None:
        given = len(self._kept_refs) + file_count + len(self._ref_urls)
        if type_ not in facts.MAX_REFS or given <= facts.MAX_REFS[type_]:
            return
        limit = facts.MAX_REFS[type_]
        when = "to generate" if type_ == "image" else "when editing (the source takes one)"
        self.add_error(
            "image_ref",
            f"{given} reference images were given; at most {limit} can be used {when}. "
            f"Remove {given - limit}.",
        )

    @staticmethod
    def _gone_message(n: int) -> str:
        what = "A kept image is" if n == 1 else f"{n} kept images are"
        return f"{what} no longer available (kept images last a day): choose the file again."

    # --- keeping the uploads that passed (done by the caller: the form never writes) ----

    def uploads_to_keep(self) -> list[NormalisedImage]:
        """The new uploads that passed validation, the source first."""
        self.errors  # noqa: B018 - validation decides which uploads passed
        source = [self._new_source] if self._new_source is not None else []
        return source + list(self._new_refs)

    def keep(self, image: NormalisedImage, staged: StagedUpload) -> None:
        """Show `image`, one of `uploads_to_keep()`, as the kept upload `staged` from now on."""
        if image is self._new_source:
            self._new_source = None
            self._kept_source = staged
        else:
            self._new_refs = [i for i in self._new_refs if i is not image]
            self._kept_refs.append(staged)

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
