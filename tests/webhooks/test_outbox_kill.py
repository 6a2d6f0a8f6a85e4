"""A worker killed between the state change and the send: the delivery row committed with the
change, so the next worker sends it."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest
from django.db import connection

from studio.webhooks import tasks
from studio.webhooks.models import Delivery, Endpoint
from tests.generations.helpers import make_generation
from tests.worker import REPO, database_url, worker_env

# Ends the job as the pipeline does, then dies by SIGKILL the moment it would hand the
# delivery to the broker: after the commit, before anything was sent.
SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import django
    django.setup()
    from django.db import transaction
    from studio.generations.models import Generation, State
    from studio.webhooks import outbox, queue

    queue.enqueue = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
    gen = Generation.objects.get(pk=int(sys.argv[1]))
    with transaction.atomic():
        old = gen.state
        gen.set_state(State.COMPLETED)
        gen.save()
        outbox.on_transition(gen, old, State.COMPLETED)
    print("not killed")
    """
)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_state_change_still_delivers(owner, receiver, tmp_path):
    endpoint = Endpoint.objects.create(
        user=owner, url=receiver.url, events=["generation.completed"]
    )
    receiver.secrets = [endpoint.secret]
    gen = make_generation(owner)
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(gen.pk)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert receiver.received == []
    gen.refresh_from_db()
    assert gen.state == "completed"
    assert Delivery.objects.get().state == Delivery.State.PENDING
    # The restarted worker's sweep (a Schedule, once a minute) sends it.
    assert tasks.deliver_due() == "1 sent"
    [got] = receiver.received
    assert got.verified_with == [endpoint.secret]
    assert got.payload["data"]["id"] == str(gen.pk)
    assert Delivery.objects.get().state == Delivery.State.DELIVERED
