"""A requests transport that hands requests to a WSGI app in this process.

With no API key the studio talks to its own simulator. Routing those calls straight into
Django (instead of over a socket to the web server) lets the worker run without knowing
the server's port, and lets tests exercise the real simulator views through the real client.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse

# Set on every request this adapter hands to Django: an environ key, which no HTTP client
# can send (headers arrive as HTTP_*), so the simulator knows a call came from this process.
IN_PROCESS = "studio.in_process"


class WSGIAdapter(BaseAdapter):
    def __init__(self, app) -> None:
        super().__init__()
        self.app = app

    def send(
        self,
        request: PreparedRequest,
        stream=False,
        timeout=None,
        verify=True,
        cert=None,
        proxies=None,
    ):  # noqa: E501
        parts = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        environ = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parts.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            IN_PROCESS: True,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        environ.setdefault("HTTP_HOST", parts.netloc)

        captured: dict = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["reason"] = status.split(" ", 1)[1] if " " in status else ""
            captured["headers"] = headers

        # Like Django's test client: a request handled in-process must not close the
        # caller's database connection (request_started/finished would, and inside an
        # atomic block that breaks the caller's transaction).
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            result = self.app(environ, start_response)
            try:
                content = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

        raw = HTTPResponse(
            body=io.BytesIO(content),
            headers=captured["headers"],
            status=captured["status"],
            preload_content=False,
            decode_content=False,
        )
        response = Response()
        response.status_code = captured["status"]
        response.reason = captured["reason"]
        response.headers = CaseInsensitiveDict(captured["headers"])
        response.raw = raw
        response.url = request.url
        response.request = request
        response.encoding = None
        if not stream:
            response.content  # noqa: B018 - read the body now, as requests does
        return response

    def close(self) -> None:
        pass


def mount_in_process(session: requests.Session, base_url: str) -> None:
    """Route the client's calls to the simulator into this process (UPSTREAM_SESSION_SETUP).

    Only while the simulator is on and the client talks to it: a client given another base
    URL (a test's fake provider) keeps real HTTP.
    """
    if settings.SIMULATOR_ENABLED and base_url == settings.SIMULATOR_BASE_URL:
        session.mount(
            settings.SIMULATOR_BASE_URL.rsplit("/simulator", 1)[0],
            WSGIAdapter(get_wsgi_application()),
        )
