"""Django's sync views served from an ASGI server at a WSGI server's cost.

Django's own ASGI handler runs a sync view by starting a thread for the request and handing
over between that thread and the event loop at each sync middleware and at the view. Here
the request goes to Django's WSGI handler on a fixed pool of threads instead, in one hand-over:

- the body is read on the event loop first (a body that never ends holds a coroutine and its
  socket, as under Django's ASGI handler, never one of the threads);
- the WSGI handler runs on a pool thread, the whole middleware chain and view in one go, and
  an ordinary response's bytes come back with it and are sent from the loop;
- a streamed response (files, zip downloads) is sent from its thread chunk by chunk, each
  send waiting for the socket, so a slow reader slows only its own thread.

The WSGI environ is a2wsgi's (a well-kept ASGI/WSGI adapter); its own responder is not used
because it reads the body from the pool thread, where a stalled body would hold the thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from a2wsgi.wsgi import build_environ
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import StreamingHttpResponse
from django.urls import Resolver404, resolve


class SyncDjango:
    """An ASGI application for Django's sync views (`threads` run at once per process)."""

    def __init__(self, threads: int) -> None:
        self.handler = WSGIHandler()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="web")

    async def __call__(self, scope, receive, send) -> None:
        body = await _read_body(receive)
        if body is None:
            return  # the client went away before its body was in
        loop = asyncio.get_running_loop()
        environ = build_environ(scope, body)
        # What was read, whatever the headers said (a chunked body has no Content-Length,
        # and Django's WSGI request reads only as many bytes as this names).
        environ["CONTENT_LENGTH"] = str(body.seek(0, 2))
        body.seek(0)
        context = contextvars.copy_context()
        try:
            whole = await loop.run_in_executor(
                self.pool, context.run, self._respond, environ, loop, send
            )
        finally:
            body.close()
        if whole is not None:
            status, headers, content = whole
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})

    def _respond(self, environ, loop, send):
        """On a pool thread: the response as (status, headers, bytes), or None when it was
        streamed from here."""
        started: dict = {}

        def start_response(status, response_headers, exc_info=None):
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [
                (name.lower().encode("latin1"), value.encode("latin1"))
                for name, value in response_headers
            ]
            return _no_write

        response = self.handler(environ, start_response)
        try:
            if not isinstance(response, StreamingHttpResponse):
                return started["status"], started["headers"], b"".join(response)
            self._send(loop, send, {"type": "http.response.start", **started})
            for chunk in response:
                if chunk:
                    self._send(loop, send, _body(chunk, more=True))
            self._send(loop, send, _body(b"", more=False))
            return None
        finally:
            # On this thread: request_finished gives the thread's database connection back.
            response.close()

    @staticmethod
    def _send(loop, send, message) -> None:
        asyncio.run_coroutine_threadsafe(send(message), loop).result()


@lru_cache(maxsize=4096)
def waits(path: str) -> bool:
    """Whether the view at `path` is async (it may wait: it runs on the event loop)."""
    try:
        return iscoroutinefunction(resolve(path).func)
    except Resolver404:
        return False


async def _read_body(receive):
    """The request's body in a file that moves to disk past FILE_UPLOAD_MAX_MEMORY_SIZE (as
    Django's ASGI handler reads it), or None if the client disconnected first."""
    # Closed by the caller once the response is sent.
    body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            return None
        body.write(message.get("body", b""))
        if not message.get("more_body", False):
            return body


def _body(chunk: bytes, *, more: bool) -> dict:
    return {"type": "http.response.body", "body": chunk, "more_body": more}


def _no_write(data: bytes) -> None:
    raise NotImplementedError("Django never uses WSGI's write()")
