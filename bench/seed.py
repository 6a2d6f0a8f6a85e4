"""Fast bulk seeding for the benchmarks: rows only, with outputs that name shared files.

`seed_gallery` stores real images one row at a time (right for demos, minutes for 100,000
rows); pages only render each output's URL and size, so the scale benchmarks need rows.
Call after django.setup().
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

BATCH = 5000
# Prompts name one of these in turn (a search for "fox" finds one row in ten), and every
# other row is square.
SUBJECTS = ["lighthouse", "fox", "owl", "harbour", "forest", "robot", "castle", "bridge"]
SUBJECTS += ["garden", "comet"]


def bulk_gallery(
    user, count: int, *, in_flight: int = 0, newest=None, subject: str = ""
) -> list[int]:
    """`count` generations for `user`, one minute apart and older than `newest` (default
    now): the last `in_flight` newest are processing, the rest completed with one output.
    `subject`: every prompt names it (default: SUBJECTS in turn). Returns the ids of the
    in-flight ones."""
    from studio.generations.models import Generation, Output, State

    newest = newest or timezone.now()
    in_flight_ids: list[int] = []
    for start in range(0, count, BATCH):
        rows = []
        for i in range(start, min(count, start + BATCH)):
            created = newest - timedelta(minutes=count - i)
            flying = i >= count - in_flight
            rows.append(
                Generation(
                    user=user,
                    prompt=f"a {subject or SUBJECTS[i % len(SUBJECTS)]} at dusk, seeded #{i}",
                    aspect_ratio="1:1" if i % 2 else "16:9",
                    state=State.PROCESSING if flying else State.COMPLETED,
                    created_at=created,
                    completed_at=None if flying else created + timedelta(seconds=30),
                )
            )
        made = Generation.objects.bulk_create(rows, batch_size=1000)
        outputs = []
        for gen in made:
            if gen.state == State.PROCESSING:
                in_flight_ids.append(gen.pk)
                continue
            out = Output(
                generation=gen, position=0, media_type="image/png", width=2048, height=2048
            )
            out.bytes = 1_000_000
            out.file.name = "outputs/bench/shared.png"
            out.thumbnail.name = "thumbs/bench/shared.webp"
            outputs.append(out)
        Output.objects.bulk_create(outputs, batch_size=1000)
    return in_flight_ids


def bench_user(username: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_unusable_password()
    user.save()
    return user


def session_for(user) -> str:
    """A signed-in session for `user`, as the login view would leave it (no password hashing:
    hundreds of PBKDF2 sign-ins would take minutes). The cookie value is returned."""
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    # The backend that signs people in (the throttle before it only refuses).
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return store.session_key
