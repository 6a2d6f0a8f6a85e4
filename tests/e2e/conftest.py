"""End-to-end tests: the real pipeline through a real django-q2 worker process."""

from tests.worker import pytest_runtest_makereport, worker  # noqa: F401
