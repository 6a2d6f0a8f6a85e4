"""A fake provider for the state-machine faults, in a thread of the test process (stdlib
HTTP server), so the test can change how it answers while the stack runs and read what it
saw: POSTs per prompt, and each GET and each output download with when it started and
ended (the last byte written, or the write that failed), to check that no two of one
output's downloads ever overlapped.

It speaks the wire format the studio's client uses (POST /v1/generations, GET
/v1/generations/<id>, a presigned-looking output URL per completed job). Per job, from its
prompt: `[fake:seconds_N]` its duration (else `seconds`), `[fake:trickle]` its output sent
in small pieces over `trickle_seconds`, `[fake:unknown]` a state the API does not have
("rendering") until it is done, `[fake:unknown_forever]` that state for ever. For every
job: `get_delay` seconds before each GET's answer.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

import bench.fake_upstream as bench_upstream
from tests.images import image_bytes

SECONDS = re.compile(r"\[fake:seconds_(\d+(?:\.\d+)?)\]")


@dataclass
class Job:
    id: str
    prompt: str
    created: float
    seconds: float
    gets: list[tuple[float, float]] = field(default_factory=list)
    downloads: list[tuple[float, float]] = field(default_factory=list)
    # Downloads begun, counted as they start (`downloads` gets each when it ends).
    begun: int = 0

    def state(self, now: float) -> str:
        if "[fake:unknown_forever]" in self.prompt:
            return "rendering"
        if now - self.created >= self.seconds:
            return "completed"
        if "[fake:unknown]" in self.prompt:
            return "rendering"
        return "queued" if now - self.created < self.seconds * 0.25 else "processing"


class FakeProvider:
    def __init__(self, *, seconds: float = 2.0, trickle_seconds: float = 4.0) -> None:
        self.seconds = seconds
        self.trickle_seconds = trickle_seconds
        self.get_delay = 0.0
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.posts: dict[str, int] = {}
        self.image = image_bytes("PNG", (320, 240))
        handler = type("Handler", (_Handler,), {"provider": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def create(self, prompt: str) -> Job:
        match = SECONDS.search(prompt)
        job = Job(
            id=uuid.uuid4().hex,
            prompt=prompt,
            created=time.monotonic(),
            seconds=float(match[1]) if match else self.seconds,
        )
        with self.lock:
            self.jobs[job.id] = job
            self.posts[prompt] = self.posts.get(prompt, 0) + 1
        return job

    def downloads_started(self, prefix: str = "") -> int:
        with self.lock:
            return sum(j.begun for j in self.jobs.values() if j.prompt.startswith(prefix))

    def overlapping_downloads(self) -> list[str]:
        """The jobs whose output was being sent to two clients at the same moment."""
        with self.lock:
            jobs = list(self.jobs.values())
        found = []
        for job in jobs:
            spans = sorted(job.downloads)
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                if start < end:
                    found.append(f"{job.prompt!r}: downloads overlapped by {end - start:.2f} s")
        return found


class _Handler(bench_upstream.Handler):
    """The benchmarks' fake provider's plumbing (JSON answers, request ids, no Nagle delay),
    with this provider's jobs and recordings."""

    provider: FakeProvider

    def _generation(self, job: Job) -> dict:
        state = job.state(time.monotonic())
        output = []
        if state == "completed":
            output = [
                {
                    "type": "image",
                    "url": f"http://127.0.0.1:{self.provider.port}/files/{job.id}/0.png",
                }
            ]
        return {
            "id": job.id,
            "state": state,
            "type": "image",
            "model": "uni-1",
            "failure_code": None,
            "failure_reason": None,
            "output": output,
        }

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path != "/v1/generations":
            self._json(404, {"detail": "Not Found"})
            return
        job = self.provider.create(str(body.get("prompt", "")))
        self._json(201, {**self._generation(job), "state": "queued", "output": []})

    def do_GET(self) -> None:  # noqa: N802
        parts = self.path.split("?")[0].strip("/").split("/")
        # /v1/generations/<id> or /files/<id>/0.png
        job_id = parts[2] if parts[:2] == ["v1", "generations"] else parts[1:2] and parts[1]
        job = self.provider.jobs.get(job_id or "") if len(parts) == 3 else None
        if job is None:
            self._json(404, {"detail": "Not Found"})
        elif parts[:2] == ["v1", "generations"]:
            started = time.monotonic()
            if self.provider.get_delay:
                time.sleep(self.provider.get_delay)
            try:
                self._json(200, self._generation(job))
            finally:
                with self.provider.lock:
                    job.gets.append((started, time.monotonic()))
        elif parts[0] == "files" and job.state(time.monotonic()) == "completed":
            self._file(job)
        else:
            self._json(404, {"detail": "NoSuchKey"})

    def _file(self, job: Job) -> None:
        started = time.monotonic()
        with self.provider.lock:
            job.begun += 1
        data = self.provider.image
        try:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if "[fake:trickle]" in job.prompt:
                pieces = 20
                size = -(-len(data) // pieces)
                for i in range(pieces):
                    self.wfile.write(data[i * size : (i + 1) * size])
                    self.wfile.flush()
                    time.sleep(self.provider.trickle_seconds / pieces)
            else:
                self.wfile.write(data)
        finally:
            # Until the last byte was written, or the write that failed (the client gone).
            with self.provider.lock:
                job.downloads.append((started, time.monotonic()))
