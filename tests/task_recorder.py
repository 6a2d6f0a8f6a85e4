from __future__ import annotations

from studio.generations import tasks


class TaskRecorder:
    """Stands in for django-q2: records enqueued tasks so a test can run them in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def __call__(self, task_name: str, *args) -> None:
        self.calls.append((task_name, args))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def run_all(self, max_steps: int = 50) -> int:
        """Run recorded tasks (and what they enqueue) until none are left."""

        steps = 0
        while self.calls and steps < max_steps:
            name, args = self.calls.pop(0)
            getattr(tasks, name)(*args)
            steps += 1
        return steps
