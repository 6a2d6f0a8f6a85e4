"""The entry points django-q2 calls (queue.py enqueues them by name; the Schedule made by
migration 0002 runs `deliver_due` once a minute, which also prunes old finished deliveries).
Any of them may run twice or never: a delivery is claimed before it is sent, and the sweep
sends whatever a lost task left."""

from __future__ import annotations

from . import delivery, notify


def deliver(delivery_id: int) -> str:
    return delivery.deliver(delivery_id)


def deliver_due() -> str:
    sent, pruned = delivery.send_due(), delivery.prune()
    return f"{sent} sent" + (f", {pruned} pruned" if pruned else "")


def replay(delivery_id: int) -> str:
    return delivery.replay_now(delivery_id)


def notify_by_email(generation_id: int) -> str:
    return "sent" if notify.job_ended(generation_id) else "not sent"
