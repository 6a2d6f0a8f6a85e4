import pytest
from django.test import TestCase

from studio.webhooks import queue as webhooks_queue
from studio.webhooks.models import Endpoint
from tests.task_recorder import TaskRecorder
from tests.webhooks.receiver import Receiver


class WebhookTasks(TaskRecorder):
    def run_all(self, max_steps: int = 50) -> int:
        from studio.webhooks import tasks

        steps = 0
        while self.calls and steps < max_steps:
            name, args = self.calls.pop(0)
            with TestCase.captureOnCommitCallbacks(execute=True):
                getattr(tasks, name)(*args)
            steps += 1
        return steps


@pytest.fixture(autouse=True)
def _quick_webhooks(settings):
    # The receiver is on 127.0.0.1; the SSRF tests turn this off again.
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_RETRY_SCHEDULE = [0.05, 60, 120]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def webhook_tasks(monkeypatch):
    recorder = WebhookTasks()
    monkeypatch.setattr(webhooks_queue, "enqueue", recorder)
    return recorder


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def endpoint(owner, receiver):
    ep = Endpoint.objects.create(
        user=owner, url=receiver.url, events=["generation.completed", "generation.failed"]
    )
    receiver.secrets = [ep.secret]
    return ep
