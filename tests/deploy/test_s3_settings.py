"""What the settings make of the S3 variables, read by a fresh interpreter as a server would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
S3_VARS = (
    "STUDIO_S3_BUCKET",
    "STUDIO_S3_ENDPOINT_URL",
    "STUDIO_S3_PUBLIC_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_S3_REGION_NAME",
)
PROBE = """
import json
from django.conf import settings
default = settings.STORAGES["default"]
options = default.get("OPTIONS", {})
print(json.dumps({
    "backend": default["BACKEND"],
    "bucket": options.get("bucket_name"),
    "endpoint": options.get("endpoint_url"),
    "region": options.get("region_name"),
    "access_key": options.get("access_key"),
    "expire": options.get("querystring_expire"),
    "acl": options.get("default_acl", "unset"),
    "img_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
    "origin": settings.S3_MEDIA_ORIGIN,
    "cache": settings.FILE_CACHE_SECONDS,
}))
"""


def settings_with(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in S3_VARS}
    clean.update(env, DJANGO_SETTINGS_MODULE="studio.settings")
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_disk_stays_the_default():
    found = settings_with()
    assert found["backend"] == "django.core.files.storage.FileSystemStorage"
    assert found["origin"] == ""
    assert found["img_src"] == ["'self'", "blob:", "data:"]


def test_a_bucket_puts_media_on_s3_with_the_public_origin_in_the_csp():
    found = settings_with(
        STUDIO_S3_BUCKET="studio-media",
        STUDIO_S3_ENDPOINT_URL="http://minio:9000",
        STUDIO_S3_PUBLIC_URL="https://media.example.test/",
        AWS_ACCESS_KEY_ID="studio",
        AWS_SECRET_ACCESS_KEY="not-a-real-secret",
        AWS_S3_REGION_NAME="eu-west-1",
    )
    assert found["backend"] == "storages.backends.s3.S3Storage"
    assert (found["bucket"], found["endpoint"], found["region"]) == (
        "studio-media",
        "http://minio:9000",
        "eu-west-1",
    )
    assert found["access_key"] == "studio"
    # Private objects; the browser is handed presigned URLs it may cache for less long.
    assert found["acl"] is None
    assert 0 < found["cache"] < found["expire"]
    assert found["origin"] == "https://media.example.test"
    assert "https://media.example.test" in found["img_src"]


def test_on_aws_the_origin_is_the_bucket_s_own_host():
    found = settings_with(STUDIO_S3_BUCKET="studio-media", AWS_S3_REGION_NAME="us-west-2")
    assert found["endpoint"] is None
    assert found["origin"] == "https://studio-media.s3.us-west-2.amazonaws.com"
    assert found["origin"] in found["img_src"]
