"""Structured logs: with STUDIO_LOG_FORMAT=json every line is one JSON object, carrying the
id of the request (or task) it belongs to, so one request can be followed from the web
through the task it enqueued to the provider (which is sent the same id as X-Request-Id).

Who did something is the person's id, never a name or an e-mail; what was asked for is the
view's URL name, never the path (paths carry ids and tokens).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")

_request_id: ContextVar[str] = ContextVar("studio_request_id", default="")

# What an incoming X-Request-Id (from a proxy, or the studio calling its own simulator) may
# look like to be kept; anything else is replaced, so a client cannot write into the logs.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")

# The LogRecord attributes every record has; anything else was passed in `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def new_id() -> str:
    return f"studio-{uuid.uuid4()}"


def acceptable(candidate: str) -> bool:
    return bool(_ACCEPTABLE_ID.match(candidate or ""))


def current_request_id() -> str:
    """The id of the request or task this code runs for ('' outside one)."""
    return _request_id.get()


@contextlib.contextmanager
def request_context(request_id: str) -> Iterator[str]:
    """Run the block as part of `request_id` (restored after, so a request the studio makes
    to itself in-process does not take over its caller's id)."""
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id, and the
    record's `extra` fields (view, status, duration_ms, person_id, generation_id, …)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or current_request_id()
        if request_id:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RequestIdFilter(logging.Filter):
    """Adds the request id to a plain-text line's record (`%(request_id)s`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id() or "-"
        return True


def traced(task: Callable[..., T]) -> Callable[..., T]:
    """For a task function: run it as part of the request that enqueued it (the
    `request_id` keyword the queue passes), or of a fresh id of its own."""

    @functools.wraps(task)
    def run(*args: Any, request_id: str = "", **kwargs: Any) -> T:
        with request_context(request_id if acceptable(request_id) else new_id()):
            return task(*args, **kwargs)

    run.takes_request_id = True  # type: ignore[attr-defined]
    return run
