"""studio.asgi: sync views run on the WSGI handler on a pool thread (one hand-over), the
API's async views on Django's ASGI handler; bodies are read before a thread is taken."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from studio.core.sync_asgi import SyncDjango, waits

pytestmark = pytest.mark.django_db(transaction=True)

seen: dict[str, object] = {}


@csrf_exempt
def echo(request):
    seen["thread"] = threading.current_thread().name
    return HttpResponse(b"got " + request.body, content_type="text/plain")


def streamed(request):
    seen["thread"] = threading.current_thread().name
    return StreamingHttpResponse(f"part{i};".encode() for i in range(3))


urlpatterns = [path("echo/", echo), path("streamed/", streamed)]


def _call(app, path, *, method="GET", chunks=(b"",), cut_short=False, headers=()):
    """Drive `app` as an ASGI server would: the body in `chunks`; with `cut_short`, the
    client disconnects after them instead of ending the body. Returns what the app sent."""
    sent: list[dict] = []

    async def run():
        queue: asyncio.Queue = asyncio.Queue()
        for i, chunk in enumerate(chunks):
            more = cut_short or i < len(chunks) - 1
            await queue.put({"type": "http.request", "body": chunk, "more_body": more})
        if cut_short:
            await queue.put({"type": "http.disconnect"})

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver"), (b"content-type", b"text/plain"), *headers],
            "client": ("127.0.0.1", 40000),
            "server": ("testserver", 80),
        }
        await asyncio.wait_for(app(scope, queue.get, send), timeout=10)

    # On a thread of its own: a browser test earlier in the session may have left an event
    # loop running on this one (asyncio.run refuses to start inside it).
    with ThreadPoolExecutor(max_workers=1) as driver:
        driver.submit(asyncio.run, run()).result()
    return sent


@pytest.fixture
def app(settings):
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["testserver"]
    seen.clear()
    return SyncDjango(threads=2)


def test_a_body_in_several_parts_reaches_the_view_on_a_pool_thread(app):
    sent = _call(app, "/echo/", method="POST", chunks=(b"one ", b"two ", b"three"))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"got one two three"
    assert seen["thread"].startswith("web")
    assert (b"content-type", b"text/plain") in sent[0]["headers"]


def test_a_streamed_response_is_sent_in_parts_and_ends(app):
    sent = _call(app, "/streamed/")
    assert sent[0]["status"] == 200
    bodies = [m for m in sent[1:] if m["type"] == "http.response.body"]
    assert b"".join(m["body"] for m in bodies) == b"part0;part1;part2;"
    assert len(bodies) >= 3 and bodies[-1]["more_body"] is False
    assert all(m["more_body"] for m in bodies[:-1])


def test_a_client_gone_before_its_body_ended_takes_no_thread(app):
    assert _call(app, "/echo/", method="POST", chunks=(b"half",), cut_short=True) == []
    assert seen == {}  # the view never ran


def test_only_the_async_views_go_to_django_s_asgi_handler():
    """studio.asgi sends a path to Django's ASGI handler when this says it waits; the
    real server's side is tests/deploy/test_api_wait.py and tests/security/test_stalled_body.py."""
    assert waits("/api/v1/images/generations")
    assert waits("/api/v1/images/edits")
    for sync_path in ("/", "/gallery/poll/", "/api/v1/generations", "/accounts/login/", "/x/"):
        assert not waits(sync_path), sync_path


def test_the_studio_page_signed_in(client, django_user_model, settings):
    """The real URLs and middleware: a signed-in studio page, drawn on a pool thread."""
    settings.ALLOWED_HOSTS = ["testserver"]
    app = SyncDjango(threads=2)
    user = django_user_model.objects.create_user("asgi-person", password="pw-0123456789x")
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    sent = _call(app, "/", headers=[(b"cookie", cookie)])
    assert sent[0]["status"] == 200
    page = b"".join(m.get("body", b"") for m in sent[1:])
    assert b'name="prompt"' in page and b"asgi-person" in page
