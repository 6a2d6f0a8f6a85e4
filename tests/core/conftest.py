"""The worker fixtures (for the studio_worker tests) and the worker log in failure reports."""

from tests.worker import pytest_runtest_makereport, worker  # noqa: F401
