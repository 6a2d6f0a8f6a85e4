"""Prompt history: a person's own recent prompts, newest first, kept on the
server (derived from their generations) and answered to them alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.generations import prompt_history
from studio.generations.models import Generation

from .helpers import make_generation

pytestmark = pytest.mark.django_db

URL = "/generations/prompts/"


def used(user, prompt: str, minutes_ago: int) -> Generation:
    gen = make_generation(user, prompt=prompt)
    Generation.objects.filter(pk=gen.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return gen


def test_recent_prompts_are_distinct_and_newest_first(owner, task_queue):
    used(owner, "a red fox", 30)
    used(owner, "a lighthouse", 20)
    used(owner, "a red fox", 10)  # used again: it moves to the front, once
    used(owner, "   ", 5)
    assert prompt_history.recent_prompts(owner) == ["a red fox", "a lighthouse"]


def test_at_most_twenty_are_kept(owner, task_queue):
    for i in range(25):
        used(owner, f"prompt {i}", 100 - i)
    recent = prompt_history.recent_prompts(owner)
    assert len(recent) == 20
    assert recent[0] == "prompt 24" and recent[-1] == "prompt 5"


def test_only_the_persons_own_prompts_not_a_teammates_or_anyone_elses(
    client, owner, member, outsider, team, task_queue
):
    used(owner, "mine", 3)
    shared = used(member, "the teammate's, shared with the team", 2)
    Generation.objects.filter(pk=shared.pk).update(team=team, shared_at=timezone.now())
    used(outsider, "someone else's", 1)
    client.force_login(owner)
    answer = client.get(URL)
    assert answer.status_code == 200
    assert answer.json() == {"prompts": ["mine"]}
    assert "no-store" in answer["Cache-Control"] or "no-cache" in answer["Cache-Control"]
    client.force_login(outsider)
    assert client.get(URL).json() == {"prompts": ["someone else's"]}


def test_a_deleted_generation_takes_its_prompt_with_it(owner_client, owner, task_queue):
    gone = used(owner, "forget me", 1)
    used(owner, "keep me", 2)
    gone.delete()
    assert owner_client.get(URL).json() == {"prompts": ["keep me"]}


def test_signed_out_it_asks_to_log_in(client):
    answer = client.get(URL)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")


def test_the_studio_offers_the_menu_beside_the_prompt(owner_client):
    page = owner_client.get("/").content.decode()
    assert f'data-prompt-history="{URL}"' in page
    assert 'aria-controls="prompt-history-menu"' in page
    assert "js/prompt_history.js" in page
