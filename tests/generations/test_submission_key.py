"""The one-time submission key: a post repeating a used key (a double click on Generate or
Retry, Ctrl+Enter twice, a resent form) makes nothing and is answered with the first one's
result; a refused post leaves its key usable; a post without a key works as before."""

from __future__ import annotations

import json

import pytest

from studio.generations import submission_keys
from studio.generations.models import Generation, State, SubmissionKey
from tests.htmx import HTMX

from .helpers import FORM, form_values, make_generation

pytestmark = pytest.mark.django_db


def test_the_composer_carries_a_fresh_key_each_time_it_is_drawn(owner_client):
    first = form_values(owner_client.get("/").content.decode())["submission_key"]
    second = form_values(owner_client.get("/").content.decode())["submission_key"]
    assert len(first) == 1 and len(first[0]) >= 20 and first != second


def test_a_repeated_key_makes_one_job_and_answers_without_cards(owner_client, task_queue):
    post = {**FORM, "submission_key": "k-1"}
    first = owner_client.post("/generations/", post, **HTMX)
    assert first.status_code == 200 and "data-generation-id" in first.content.decode()
    next_key = json.loads(first["HX-Trigger"])["studio:submission-key"]["value"]
    assert next_key and next_key != "k-1"

    again = owner_client.post("/generations/", post, **HTMX)
    assert again.status_code == 200
    assert "data-generation-id" not in again.content.decode()  # no second card drawn
    assert again["HX-Reswap"] == "none"
    assert Generation.objects.count() == 1
    assert task_queue.names() == []  # nothing enqueued twice (on_commit not run here)

    # The renewed key makes the next image.
    owner_client.post("/generations/", {**FORM, "submission_key": next_key}, **HTMX)
    assert Generation.objects.count() == 2


def test_a_repeated_key_without_htmx_redirects_like_the_first(owner_client):
    post = {**FORM, "submission_key": "k-2", "count": "3"}
    assert owner_client.post("/generations/", post)["Location"] == "/"
    assert owner_client.post("/generations/", post)["Location"] == "/"
    assert Generation.objects.count() == 3  # one batch of three, not two


def test_a_refused_post_leaves_its_key_usable(owner_client):
    refused = owner_client.post("/generations/", {**FORM, "prompt": " ", "submission_key": "k-3"})
    assert refused.status_code == 400
    # The form comes back with the same key, still unused.
    assert form_values(refused.content.decode())["submission_key"] == ["k-3"]
    owner_client.post("/generations/", {**FORM, "submission_key": "k-3"})
    assert Generation.objects.count() == 1


def test_posts_without_a_key_work_as_before(owner_client):
    owner_client.post("/generations/", FORM)
    owner_client.post("/generations/", FORM)
    assert Generation.objects.count() == 2


def test_keys_are_per_person(owner_client, owner, member, client):
    owner_client.post("/generations/", {**FORM, "submission_key": "shared"})
    client.force_login(member)
    client.post("/generations/", {**FORM, "submission_key": "shared"})
    assert Generation.objects.filter(user=member).count() == 1


def test_a_repeat_waits_for_the_first_post_still_running(owner, monkeypatch):
    # The first post has claimed the key and not finished: the repeat waits (sleeps) until
    # it has, then answers with its result.
    assert submission_keys.claim(user=owner, key="k-run") is None
    gen = make_generation(owner)
    waits = []

    def first_finishes_meanwhile(seconds):
        waits.append(seconds)
        submission_keys.settle(user=owner, key="k-run", made=[gen.pk])

    monkeypatch.setattr(submission_keys.time, "sleep", first_finishes_meanwhile)
    first = submission_keys.claim(user=owner, key="k-run")
    assert waits and first is not None and first.generation_ids == [gen.pk]


def test_a_repeat_of_a_refused_post_runs_itself(owner, monkeypatch):
    assert submission_keys.claim(user=owner, key="k-no") is None
    monkeypatch.setattr(
        submission_keys.time,
        "sleep",
        lambda seconds: submission_keys.settle(user=owner, key="k-no", made=None),
    )
    assert submission_keys.claim(user=owner, key="k-no") is None


def test_a_double_retry_makes_one_new_job(owner_client, owner):
    failed = make_generation(owner)
    failed.fail("generation_failed", "the provider had a hiccup")
    failed.save()
    post = {"submission_key": "r-1"}
    first = owner_client.post(f"/generations/{failed.pk}/retry/", post)
    again = owner_client.post(f"/generations/{failed.pk}/retry/", post)
    new = Generation.objects.exclude(pk=failed.pk).get()
    assert first["Location"] == again["Location"] == f"/generations/{new.pk}/"
    htmx_again = owner_client.post(f"/generations/{failed.pk}/retry/", post, **HTMX)
    assert htmx_again.content == b"" and htmx_again["HX-Reswap"] == "none"
    assert Generation.objects.count() == 2
    assert SubmissionKey.objects.get(key="r-1").generation_ids == [new.pk]
    assert Generation.objects.get(pk=new.pk).state == State.PENDING
