"""Multi-step rules for generations: creating, retrying and deleting them, and keeping the
uploads of a form that came back with errors. (Moving a row along is the pipeline's job,
keeping its images outputs.py's.)"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import import_string

from studio.core.media import extension_for
from studio.uploads import staging
from studio.upstream import facts

from . import access, gate, queue
from .forms import GenerationForm
from .models import PARAM_FIELDS, Batch, Favourite, Generation, Reference, State, now_iso

log = logging.getLogger("studio.generations")


def price_of(data: dict[str, Any], inputs: list[dict[str, Any]], *, count: int = 1) -> Decimal:
    """The estimate of `count` images with these settings and inputs."""
    ref_count = sum(1 for i in inputs if i["role"] == Reference.Role.REFERENCE)
    return facts.estimate_price(
        model=data["model"], type=data["type"], ref_count=ref_count, count=count
    )


def create_generation(
    *,
    user,
    data: dict[str, Any],
    inputs: Iterable[dict[str, Any]] = (),
    team=None,
    retry_of: Generation | None = None,
    batch: Batch | None = None,
    batch_position: int | None = None,
    created_at: datetime | None = None,
    reserved: bool = False,
) -> Generation:
    """Save a generation with its inputs and hand it to the worker once committed.

    `inputs` are dicts with `role` ("source"/"reference") and either `content` (bytes of an
    already validated image, with `media_type`, `width`, `height`, `name`) or `url`.
    A member of a batch gets its `batch` and `batch_position` (batches.py makes them).
    Raises `gate.SubmissionRefused` (nothing saved) when a reservation of the gate refuses
    it (its price would take the person's month, or that of `team`, past a cap);
    `reserved`: the caller (batches.create) already reserved it with the rest of its
    batch, in the same transaction.
    """
    inputs = list(inputs)
    price = price_of(data, inputs)
    with transaction.atomic():
        if not reserved:
            gate.reserve(user=user, team=team, estimate=price)
        gen = Generation(
            user=user,
            billed_team=team,
            retry_of=retry_of,
            derived_from=data.get("derived_from"),
            derived_kind=data.get("derived_kind") or "",
            api_token=data.get("api_token"),
            end_user=data.get("end_user") or "",
            batch=batch,
            batch_position=batch_position,
            created_at=created_at or timezone.now(),
            estimated_price=price,
            history=[{"state": State.PENDING, "at": now_iso()}],
            **{f: data[f] for f in PARAM_FIELDS},
        )
        gen.share_with(team)
        gen.save()
        positions = {Reference.Role.SOURCE: 0, Reference.Role.REFERENCE: 0}
        for item in inputs:
            role = item["role"]
            ref = Reference(
                generation=gen,
                role=role,
                position=positions[role],
                url=item.get("url", ""),
                media_type=item.get("media_type", ""),
                width=item.get("width"),
                height=item.get("height"),
                original_name=item.get("name", "")[:255],
            )
            positions[role] += 1
            if item.get("content") is not None:
                ref.bytes = len(item["content"])
                ref.file.save(
                    f"{gen.pk}-{role}-{ref.position}.{extension_for(ref.media_type)}",
                    ContentFile(item["content"]),
                    save=False,
                )
            ref.save()
        queue.enqueue_on_commit("submit", gen.pk)
    log.info(
        "generation %s created by user %s",
        gen.pk,
        user.pk,
        extra={"generation_id": gen.pk, "person_id": user.pk},
    )
    return gen


# --- actions ---------------------------------------------------------------------------


def inputs_of(gen: Generation) -> list[dict[str, Any]]:
    """A generation's inputs in the shape create_generation takes, for Retry."""
    items: list[dict[str, Any]] = []
    for ref in gen.inputs.all():
        item: dict[str, Any] = {"role": ref.role, "name": ref.original_name}
        if ref.url:
            item["url"] = ref.url
        else:
            with ref.file.open("rb") as fh:
                item["content"] = fh.read()
            item.update(media_type=ref.media_type, width=ref.width, height=ref.height)
        items.append(item)
    return items


def submitted(*, user, generations: list[Generation], data) -> None:
    """Tell the apps above (settings.SUBMITTED_HOOKS, dotted paths) of an accepted
    submission and what the composer posted with it: "Collect into" is the collections
    app's field, which this app does not know."""
    for path in settings.SUBMITTED_HOOKS:
        import_string(path)(user=user, generations=generations, data=data)


def retry_generation(gen: Generation) -> Generation:
    """A new generation with the same inputs; the failed one stays as it was, except that
    in a batch the new one takes its place (same batch, same position) and the failed one
    leaves it, so the batch still holds one image per position."""
    with transaction.atomic():
        batch, position = gen.batch, gen.batch_position
        # Conditional: of two Retry clicks racing, only one takes the slot over.
        if batch is not None and not Generation.objects.filter(pk=gen.pk, batch=batch).update(
            batch=None, batch_position=None
        ):
            batch = position = None
        gen.batch, gen.batch_position = None, None
        return create_generation(
            user=gen.user,
            data=gen.params(),
            inputs=inputs_of(gen),
            team=gen.team,
            retry_of=gen,
            batch=batch,
            batch_position=position,
        )


def share(*, user, generation: Generation, team) -> Generation:
    """Put `generation` in `team`'s gallery (`team` None: only me, as unshare). Files are
    not copied: the team's members reach the same files through the access check.
    Refused (Http404) unless the access rules allow it, so bulk actions can call it too."""
    if team is None:
        return unshare(user=user, generation=generation)
    if not access.may_share(user, generation, team):
        raise Http404("You cannot share that generation with that team")
    if generation.team_id != team.pk:
        generation.share_with(team)
        generation.save(update_fields=["team", "shared_at", "updated_at"])
        log.info("generation %s shared with team %s by %s", generation.pk, team.pk, user.pk)
    return generation


def unshare(*, user, generation: Generation) -> Generation:
    """Take `generation` out of its team's gallery (never delete it)."""
    if generation.team_id is None:
        return generation
    if not access.may_unshare(user, generation):
        raise Http404("You cannot take that generation out of the team")
    team_id = generation.team_id
    generation.share_with(None)
    generation.save(update_fields=["team", "shared_at", "updated_at"])
    log.info("generation %s unshared from team %s by %s", generation.pk, team_id, user.pk)
    return generation


def set_favourite(*, user, generation: Generation, on: bool) -> bool:
    """Star (or unstar) `generation` for `user` alone; returns whether it is starred."""
    if not access.may_favourite(user, generation):
        raise Http404("No such generation")
    if not on:
        Favourite.objects.filter(user=user, generation=generation).delete()
        return False
    try:
        with transaction.atomic():
            Favourite.objects.get_or_create(user=user, generation=generation)
    except IntegrityError:
        pass  # a double click raced us to the same star: it is set either way
    return True


def toggle_favourite(*, user, generation: Generation) -> bool:
    starred = Favourite.objects.filter(user=user, generation=generation).exists()
    return set_favourite(user=user, generation=generation, on=not starred)


def delete_generation(gen: Generation) -> None:
    """Delete the row; its files go with it once committed (see signals.py)."""
    gen.delete()


def keep_valid_uploads(*, form: GenerationForm, user) -> None:
    """After `form` failed validation: stage every upload in it that passed, so the form
    comes back showing them as kept and the user need not choose those files again."""
    try:
        for image in form.uploads_to_keep():
            form.keep(image, staging.stage(user, image))
    except OSError:
        # The form still comes back with its errors; only the upload has to be redone.
        log.exception("could not keep an upload for user %s", user.pk)
