"""A real S3 server for tests: moto's server mode, in its own process on a free port.

`s3_server` (session) starts it; `s3_media` points this test's default storage at a fresh
bucket on it, as `STUDIO_S3_BUCKET` would. Import both into a conftest to use them. Nothing
here mocks a storage call: boto3 speaks the S3 wire protocol to a socket.
"""

from __future__ import annotations

import contextlib
import copy
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from studio.core import s3

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key-not-real"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the S3 server exited with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the S3 server did not listen on {port} within {timeout:.0f} s")


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Run `moto_server` on 127.0.0.1 and yield its endpoint URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def client(endpoint_url: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def media_env(endpoint_url: str, bucket: str) -> dict[str, str]:
    """The environment that puts another process's media on this bucket."""
    return {
        "STUDIO_S3_BUCKET": bucket,
        "STUDIO_S3_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_REGION_NAME": REGION,
    }


def new_bucket(endpoint_url: str) -> str:
    bucket = f"studio-test-{uuid.uuid4().hex[:12]}"
    client(endpoint_url).create_bucket(Bucket=bucket)
    return bucket


@dataclass
class Bucket:
    name: str
    endpoint_url: str
    client: Any

    def names(self) -> list[str]:
        answer = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in answer.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_media(settings, s3_server: str) -> Bucket:
    """This test's media on a fresh bucket of the S3 server, as `STUDIO_S3_BUCKET` does."""
    bucket = new_bucket(s3_server)
    settings.S3_BUCKET = bucket
    settings.S3_ENDPOINT_URL = s3_server
    settings.S3_PUBLIC_URL = s3_server
    settings.S3_MEDIA_ORIGIN = s3.media_origin(bucket=bucket, public_url=s3_server, region=REGION)
    # A new dict: Django resets its storages when the STORAGES setting changes.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": s3.BACKEND,
            "OPTIONS": s3.storage_options(
                bucket=bucket,
                endpoint_url=s3_server,
                region=REGION,
                access_key=ACCESS_KEY,
                secret_key=SECRET_KEY,
                presign_seconds=settings.S3_PRESIGN_SECONDS,
            ),
        },
    }
    # As studio/settings/security.py does with S3 on: the CSP's img-src admits the bucket's origin.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"].append(settings.S3_MEDIA_ORIGIN)
    settings.CONTENT_SECURITY_POLICY = policy
    return Bucket(name=bucket, endpoint_url=s3_server, client=client(s3_server))
