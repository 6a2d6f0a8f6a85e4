"""Making jobs for a real worker process and checking what it stored."""

from __future__ import annotations

from PIL import Image

from studio.generations import services
from studio.generations.models import FINAL, Generation, State
from tests.generations.helpers import DEFAULTS
from tests.worker import Worker

BASE = DEFAULTS
# The simulator takes 1 s here; a job is done after a submit and one or two polls.
DEADLINE = 60


def create(user, **data) -> Generation:
    return services.create_generation(user=user, data={**BASE, **data})


def wait_finished(worker: Worker, *gens: Generation) -> None:
    ids = [g.pk for g in gens]

    def all_final() -> bool:
        return Generation.objects.filter(pk__in=ids, state__in=FINAL).count() == len(ids)

    worker.wait_for(all_final, timeout=DEADLINE, what=f"generations {ids} to finish")
    for gen in gens:
        gen.refresh_from_db()


def assert_stored_image(gen: Generation, *, size: tuple[int, int], fmt: str) -> None:
    assert gen.state == State.COMPLETED, (gen.failure_code, gen.failure_reason)
    (out,) = gen.outputs.all()
    with out.file.open("rb") as fh, Image.open(fh) as img:
        img.load()
        assert img.format == fmt
        assert img.size == size
        assert max(img.size) == 2048
    assert (out.width, out.height) == size
    assert out.bytes == out.file.size
    with out.thumbnail.open("rb") as fh, Image.open(fh) as thumb:
        assert thumb.format == "WEBP"
        assert max(thumb.size) <= 512
