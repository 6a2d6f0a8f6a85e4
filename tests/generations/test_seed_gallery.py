"""`manage.py seed_gallery USERNAME`: a gallery of finished, failed and in-flight cards."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from PIL import Image

from studio.generations.models import Generation, Output, State

pytestmark = pytest.mark.django_db


def test_seeds_count_generations_with_real_files(capsys):
    ann = get_user_model().objects.create_user("ann")
    call_command("seed_gallery", "ann", "--count", "30", "--in-flight", "3", "--seed", "2")
    assert capsys.readouterr().out == "Seeded 30 generations for ann.\n"

    gens = Generation.objects.filter(user=ann)
    assert gens.count() == 30
    states = {state: gens.filter(state=state).count() for state in State.values}
    assert states[State.PROCESSING] == 3
    assert states[State.COMPLETED] + states[State.FAILED] == 27
    assert states[State.COMPLETED] > states[State.FAILED]
    for gen in gens.filter(state=State.FAILED):
        assert gen.failure_code and gen.failure_reason and gen.completed_at
    # Every completed card has one output, a real PNG with a WebP thumbnail.
    completed = gens.filter(state=State.COMPLETED)
    assert Output.objects.filter(generation__in=completed).count() == completed.count()
    out = Output.objects.filter(generation__in=completed).first()
    with out.file.open("rb") as f, Image.open(f) as img:
        # In the generation's aspect ratio, as a real output is, and its stored size says so.
        assert img.format == "PNG" and img.size == (out.width, out.height)
        w, h = (int(n) for n in out.generation.aspect_ratio.split(":"))
        assert max(img.size) == 256 and abs(img.size[0] / img.size[1] - w / h) < 0.02
    with out.thumbnail.open("rb") as f, Image.open(f) as img:
        assert img.format == "WEBP"


def test_seeded_items_can_be_shared_with_a_team(capsys, owner, member, team, outsider):
    call_command("seed_gallery", "member", "--count", "4", "--team", "design")
    assert capsys.readouterr().out == "Seeded 4 generations for member shared with Design.\n"
    gens = Generation.objects.filter(user=member)
    assert [g.team for g in gens] == [team] * 4 and all(g.shared_at for g in gens)
    with pytest.raises(CommandError, match="outsider may not share with a team 'design'"):
        call_command("seed_gallery", "outsider", "--count", "1", "--team", "design")


def test_the_same_seed_gives_the_same_gallery():
    for name in ("ann", "bob"):
        user = get_user_model().objects.create_user(name)
        call_command("seed_gallery", name, "--count", "12", "--seed", "5")
        assert Generation.objects.filter(user=user).count() == 12

    def gallery(name):
        rows = Generation.objects.filter(user__username=name).order_by("created_at")
        return list(rows.values_list("prompt", "model", "aspect_ratio", "style", "state"))

    assert gallery("ann") == gallery("bob")


def test_an_unknown_user_is_an_error():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("seed_gallery", "nobody")
    assert not Generation.objects.exists()
