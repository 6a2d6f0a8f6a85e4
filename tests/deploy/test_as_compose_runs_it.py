"""The compose stack, natively: gunicorn + two `studio_worker` + PostgreSQL + Redis + an S3
server, and one job end to end over HTTP, as a person's browser would send it."""

from __future__ import annotations

import re
import time

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from PIL import Image

from tests.deploy.stack import Gunicorn, stack_env, start_workers
from tests.s3 import free_port
from tests.worker import _purge_broker

pytestmark = [pytest.mark.deploy, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CARD = re.compile(r'data-generation-id="(\d+)" data-state="(\w+)"')


def web_env(bucket: str, endpoint: str) -> dict[str, str]:
    return {
        **stack_env(bucket, endpoint),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }


def sign_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=10).raise_for_status()
    answer = session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    answer.raise_for_status()
    assert "sessionid" in session.cookies, "sign-in failed"
    return session


def test_one_job_through_the_stack_compose_runs(scaled_out, s3_media, settings):
    # Hashed as gunicorn's settings expect (the tests' fast MD5 hasher is not among them).
    get_user_model().objects.create(
        username="deployer", password=PBKDF2PasswordHasher().encode("pw-deployer-123", "deploysalt")
    )
    _purge_broker()
    web = Gunicorn(web_env(s3_media.name, s3_media.endpoint_url), port=free_port())
    workers = []
    try:
        workers = start_workers(2, stack_env(s3_media.name, s3_media.endpoint_url))
        assert web.wait_healthy() == {"database": "ok", "redis": "ok", "storage": "ok"}
        browser = sign_in(web.url, "deployer", "pw-deployer-123")
        answer = browser.post(
            f"{web.url}/generations/",
            data={
                "prompt": "a harbour seen from the stack compose runs",
                "type": "image",
                "aspect_ratio": "1:1",
                "style": "auto",
                "model": "uni-1",
                "output_format": "jpeg",
                "count": "1",
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            headers={"Referer": f"{web.url}/"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text[:500]
        deadline = time.monotonic() + 90
        while True:
            page = browser.get(f"{web.url}/", timeout=10).text
            cards = CARD.findall(page)
            assert len(cards) == 1, cards
            ((gen_id, state),) = cards
            if state in ("completed", "failed"):
                break
            for w in workers:
                w.assert_alive()
            assert time.monotonic() < deadline, f"still {state} after 90 s"
            time.sleep(0.5)
        assert state == "completed", page[:2000]
        # The card's image: the studio's own URL, which checks access and then hands the
        # browser to the bucket.
        thumb = re.search(rf'src="(/generations/{gen_id}/outputs/0/thumb/)"', page).group(1)
        image = browser.get(f"{web.url}{thumb}", timeout=10, allow_redirects=False)
        if image.is_redirect:
            assert image.headers["Location"].startswith(s3_media.endpoint_url)
            image = requests.get(image.headers["Location"], timeout=10)
        assert image.status_code == 200
        assert image.headers["Content-Type"] == "image/webp"
        full = browser.get(f"{web.url}/generations/{gen_id}/outputs/0/", timeout=10)
        assert full.status_code == 200 and full.content[:3] == b"\xff\xd8\xff"
        # Someone signed out gets no image, not even a redirect to one.
        anonymous = requests.get(f"{web.url}{thumb}", timeout=10, allow_redirects=False)
        assert anonymous.status_code == 302
        assert anonymous.headers["Location"].startswith("/accounts/login/")
        # And the files are where every web and worker process can see them: the bucket.
        assert len(s3_media.names()) >= 2
        assert Image  # (imported for a clearer failure if Pillow were missing)
    finally:
        web_tail = web.tail()
        web.stop()
        for w in workers:
            w.stop()
            w.remove_log()
    assert "Traceback" not in web_tail, web_tail
