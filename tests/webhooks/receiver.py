"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that verifies every request
with the `standardwebhooks` package, as a partner's server would, and answers from a script."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified_with: list[str] = field(default_factory=list)
    payload: dict | None = None


class Receiver:
    """`answers` is a list of what to answer next, in order (the last one repeats): an int
    status, ("redirect", location), ("hang", seconds) or ("body", status, bytes)."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.answers: list = [200]
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                got = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                for secret in receiver.secrets:
                    try:
                        got.payload = Webhook(secret).verify(body, got.headers)
                        got.verified_with.append(secret)
                    except WebhookVerificationError:
                        pass
                with receiver.lock:
                    receiver.received.append(got)
                    answer = (
                        receiver.answers.pop(0)
                        if len(receiver.answers) > 1
                        else receiver.answers[0]
                    )
                receiver.respond(self, answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def respond(self, handler: BaseHTTPRequestHandler, answer) -> None:
        if isinstance(answer, int):
            answer = ("body", answer, b'{"ok": true}')
        kind = answer[0]
        if kind == "hang":
            time.sleep(answer[1])
            return
        if kind == "redirect":
            handler.send_response(302)
            handler.send_header("Location", answer[1])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        _, status, body = answer
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
