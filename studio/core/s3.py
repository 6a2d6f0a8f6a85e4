"""Options for media on S3 (django-storages `S3Storage`), shared by settings and tests.

No Django import at module level: the settings import this before Django is set up.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

BACKEND = "storages.backends.s3.S3Storage"


def storage_options(
    *,
    bucket: str,
    endpoint_url: str,
    region: str,
    access_key: str,
    secret_key: str,
    presign_seconds: int,
) -> dict[str, Any]:
    """S3Storage options for `bucket`, reached at `endpoint_url` (empty: AWS itself)."""
    from botocore.config import Config

    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "region_name": region,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        # Private objects, reached only through presigned URLs handed out after the access
        # check; a name is never reused (a new file never replaces an older one).
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": presign_seconds,
        "file_overwrite": False,
        # A dead endpoint fails a request (and /healthz) in seconds, not minutes. MinIO and
        # other self-hosted servers answer on one host with the bucket in the path.
        "client_config": Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        ),
    }


def media_origin(*, bucket: str, public_url: str, region: str) -> str:
    """The origin browsers load the bucket's presigned URLs from (for CSP's img-src)."""
    if public_url:
        parts = urlsplit(public_url)
        return f"{parts.scheme}://{parts.netloc}"
    return f"https://{bucket}.s3.{region}.amazonaws.com"
