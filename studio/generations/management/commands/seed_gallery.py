"""Fill a user's gallery with finished, failed and in-flight generations (demos, benchmarks)."""

from __future__ import annotations

import io
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from studio.generations.models import Generation, Output, State
from studio.teams.models import Team
from studio.upstream import facts

SUBJECTS = ["lighthouse", "fox", "harbour", "orchard", "robot", "teapot", "glacier", "market"]
MOODS = ["at dusk", "in the rain", "in morning light", "under neon", "in winter", "at noon"]


def ratio_size(aspect_ratio: str, long_side: int = 256) -> tuple[int, int]:
    """Width and height of an image in `aspect_ratio` ("16:9"), `long_side` on its long side."""
    w, h = (int(n) for n in aspect_ratio.split(":"))
    return (
        (long_side, round(long_side * h / w)) if w >= h else (round(long_side * w / h), long_side)
    )


def _images(seed: int, aspect_ratio: str = "1:1") -> tuple[bytes, bytes]:
    """A small PNG "original" in the aspect ratio and its WebP thumbnail."""
    rng = random.Random(seed)
    size = ratio_size(aspect_ratio)
    img = Image.new("RGB", size, tuple(rng.randrange(40, 220) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(20, 90)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    png, webp = io.BytesIO(), io.BytesIO()
    img.save(png, "PNG")
    img.save(webp, "WEBP", quality=70)
    return png.getvalue(), webp.getvalue()


class Command(BaseCommand):
    help = "Create N generations for USERNAME: mostly completed, some failed, a few in flight."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--count", type=int, default=50)
        parser.add_argument("--in-flight", type=int, default=0, help="how many to leave pending")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--team", help="slug of a team USERNAME may share with: every item is shared there"
        )

    def handle(self, *args, username: str, count: int, in_flight: int, seed: int, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}") from None
        team = None
        if options.get("team"):
            team = Team.objects.shareable_by(user).filter(slug=options["team"]).first()
            if team is None:
                raise CommandError(f"{username} may not share with a team {options['team']!r}")
        rng = random.Random(seed)
        now = timezone.now()
        images: dict[tuple[int, str], tuple[bytes, bytes]] = {}
        with transaction.atomic():
            for i in range(count):
                prompt = f"{rng.choice(SUBJECTS)} {rng.choice(MOODS)} #{i}"
                created = now - timedelta(minutes=count - i)
                gen = Generation.objects.create(
                    user=user,
                    prompt=prompt,
                    model=rng.choice(facts.MODELS),
                    aspect_ratio=rng.choice(facts.ASPECT_RATIOS),
                    style=rng.choice(facts.STYLES),
                    estimated_price=facts.estimate_price(model="uni-1", type="image", ref_count=0),
                    created_at=created,
                    team=team,
                    shared_at=created if team else None,
                    history=[{"state": "pending", "at": created.isoformat()}],
                )
                if i >= count - in_flight:
                    # Left pending without a task: nothing will submit it (demo only).
                    Generation.objects.filter(pk=gen.pk).update(state=State.PROCESSING)
                    continue
                if rng.random() < 0.1:
                    code = rng.choice(facts.UPSTREAM_FAILURE_CODES)
                    Generation.objects.filter(pk=gen.pk).update(
                        state=State.FAILED,
                        failure_code=code,
                        failure_reason=f"Seeded failure ({code})",
                        completed_at=created + timedelta(seconds=20),
                    )
                    continue
                key = (i % 8, gen.aspect_ratio)
                if key not in images:
                    images[key] = _images(seed * 100 + key[0], gen.aspect_ratio)
                png, webp = images[key]
                width, height = ratio_size(gen.aspect_ratio)
                out = Output(
                    generation=gen,
                    position=0,
                    media_type="image/png",
                    width=width,
                    height=height,
                    bytes=len(png),
                )
                out.file.save(f"seed-{gen.pk}.png", ContentFile(png), save=False)
                out.thumbnail.save(f"seed-{gen.pk}.webp", ContentFile(webp), save=False)
                out.save()
                Generation.objects.filter(pk=gen.pk).update(
                    state=State.COMPLETED, completed_at=created + timedelta(seconds=30)
                )
        where = f" shared with {team.name}" if team else ""
        self.stdout.write(f"Seeded {count} generations for {username}{where}.")
