"""A fake provider for the pipeline benchmarks, in a process of its own (stdlib only).

It speaks the wire format the studio's client uses (POST /v1/generations, GET
/v1/generations/<id>, an output URL per completed job), keeps jobs in memory and serves
finished files that already exist: PNGs rendered before it starts (`make_images`), as the
real provider serves a stored file, so a download costs the worker only the transfer,
the verification and the thumbnail. It counts POSTs per prompt and GETs per job, and
knows the exact moment each job completed (its creation + its duration), which
`GET /_stats` reports for the benchmark to compare with the studio's rows.

A job's duration is `[simulate:seconds_N]` in its prompt (the simulator's trigger), else
--seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SECONDS = re.compile(r"\[simulate:seconds_(\d+(?:\.\d+)?)\]")


def make_images(folder: Path, count: int, *, side: int = 2048, bits: int = 8) -> list[Path]:
    """`count` PNGs of random noise, `side` px square. 8 bits per channel: incompressible
    (about 12.6 MB at 2048 px); 4 bits: about half that, near a real 2048-px output."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    mask = (0xFF << (8 - bits)) & 0xFF
    table = bytes(b & mask for b in range(256))
    paths = []
    for i in range(count):
        path = folder / f"noise-{side}-{bits}-{i}.png"
        if not path.exists():
            raw = os.urandom(side * side * 3).translate(table)
            Image.frombytes("RGB", (side, side), raw).save(path, "PNG", compress_level=1)
        paths.append(path)
    return paths


class State:
    def __init__(self, images: list[Path], seconds: float) -> None:
        self.images = images
        self.seconds = seconds
        self.lock = threading.Lock()
        self.jobs: dict[str, dict] = {}
        self.posts_by_prompt: dict[str, int] = {}

    def create(self, prompt: str) -> dict:
        match = SECONDS.search(prompt)
        seconds = float(match[1]) if match else self.seconds
        with self.lock:
            job = {
                "id": uuid.uuid4().hex,
                "prompt": prompt,
                "created": time.time(),
                "seconds": seconds,
                "gets": 0,
                "downloads": 0,
                "image": len(self.jobs) % len(self.images),
            }
            self.jobs[job["id"]] = job
            self.posts_by_prompt[prompt] = self.posts_by_prompt.get(prompt, 0) + 1
        return job


def state_of(job: dict, now: float) -> str:
    elapsed = now - job["created"]
    if elapsed >= job["seconds"]:
        return "completed"
    return "queued" if elapsed < job["seconds"] * 0.25 else "processing"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm holds the body
    # until the client's delayed ACK, adding 40 ms to every answer (a real API does not).
    disable_nagle_algorithm = True
    state: State
    base: str

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", self.headers.get("X-Request-Id", "fake"))
        self.end_headers()
        self.wfile.write(data)

    def _generation(self, job: dict) -> dict:
        state = state_of(job, time.time())
        output = []
        if state == "completed":
            output = [{"type": "image", "url": f"{self.base}/files/{job['id']}/0.png"}]
        return {"id": job["id"], "state": state, "output": output, "model": "uni-1"}

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path != "/v1/generations" or not self.headers.get("Authorization"):
            self._json(404, {"detail": "Not Found"})
            return
        job = self.state.create(str(body.get("prompt", "")))
        self._json(201, {**self._generation(job), "state": "queued", "output": []})

    def do_GET(self) -> None:  # noqa: N802
        parts = self.path.strip("/").split("/")
        if self.path == "/_stats":
            with self.state.lock:
                self._json(
                    200,
                    {"jobs": list(self.state.jobs.values()), "posts": self.state.posts_by_prompt},
                )
        elif parts[:2] == ["v1", "generations"] and len(parts) == 3:
            job = self.state.jobs.get(parts[2])
            if job is None:
                self._json(404, {"detail": "Generation not found"})
                return
            job["gets"] += 1
            self._json(200, self._generation(job))
        elif parts[0] == "files" and parts[1] in self.state.jobs:
            job = self.state.jobs[parts[1]]
            if state_of(job, time.time()) != "completed":
                self._json(404, {"detail": "NoSuchKey"})
                return
            job["downloads"] += 1
            path = self.state.images[job["image"]]
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(path.stat().st_size))
            self.end_headers()
            with path.open("rb") as fh:
                # The kernel copies the file: serving costs this process next to nothing.
                os.sendfile(self.wfile.fileno(), fh.fileno(), 0, path.stat().st_size)
        else:
            self._json(404, {"detail": "Not Found"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    images = sorted(args.images.glob("*.png"))
    Handler.state = State(images, args.seconds)
    Handler.base = f"http://127.0.0.1:{args.port}"
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"fake upstream on {Handler.base} with {len(images)} images", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
