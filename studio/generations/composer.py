"""What the composer template shows from a GenerationForm: the kept uploads, the prompt
counter, the reference count and price, the aspect-ratio shapes and the error summary.

A mixin of GenerationForm (the template calls these as `form.…`), kept apart so that
forms.py reads as validation only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from studio.uploads import staging
from studio.uploads.models import StagedUpload
from studio.upstream import facts

from .fields import split_urls, tokens

RATIO_BOX_PX = 26


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


class ComposerDisplay:
    """Read-only views of a GenerationForm's state, for its template."""

    def submission_key(self) -> str:
        """The form's one-time key: a refused form keeps the key it was sent with (a refused
        post used nothing up), a new form gets none here ({% submission_key %} makes one)."""
        if not self.is_bound:
            return ""
        key = self.data.get("submission_key", "")
        return key if 0 < len(key) <= 64 else ""

    def _current_choice(self, name: str, allowed: list[str], default: str) -> str:
        value = self[name].value()
        return value if value in allowed else default

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

    def estimated_price(self, count: int = 1) -> Decimal:
        return facts.estimate_price(
            model=self.current_model(),
            type=self.current_type(),
            ref_count=min(self.reference_count(), self.max_refs()),
            count=count,
        )

    def current_count(self) -> int:
        """Images the form asks for now, within 1..BATCH_MAX (the price shows that many)."""
        try:
            count = int(self["count"].value() or 1)
        except (TypeError, ValueError):
            return 1
        return min(max(count, 1), settings.BATCH_MAX)

    def total_price(self) -> Decimal:
        return self.estimated_price(self.current_count())

    @property
    def kept_source_item(self) -> Kept | None:
        if self.is_bound:
            self.errors  # noqa: B018 - make sure validation has run
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
            source, _ = staging.resolve(self.user, tokens(self.initial.get("kept_source"))[:1])
            refs, _ = staging.resolve(self.user, tokens(self.initial.get("kept_ref")))
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

    def share_team_list(self) -> list:
        """The teams the form offers (read once, or as the page gave them)."""
        if self.user is None:
            return []
        if self._share_teams is None:
            self._share_teams = list(self.fields["team"].queryset)
        return self._share_teams

    def show_team(self) -> bool:
        return bool(self.share_team_list())

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
