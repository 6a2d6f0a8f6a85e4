"""The worker as it runs against the real provider: an API key set, LUMA_BASE_URL pointing
at a server over a real socket. Here that server is the studio's own simulator, served by
the test's live server, so the client's HTTP path (auth header, JSON, presigned downloads)
is exercised end to end without the in-process shortcut."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.e2e.helpers import assert_stored_image, create, wait_finished
from tests.worker import Worker, _purge_broker, database_url, worker_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KEY = "sk-test-over-http-not-for-logs"


def test_worker_speaks_real_http_to_the_provider_api(live_server, settings, owner):
    _purge_broker()
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=settings.MEDIA_ROOT)
    env["LUMA_AGENTS_API_KEY"] = KEY
    env["LUMA_BASE_URL"] = f"{live_server.url}/simulator/v1"
    # The live server answers for the simulator over HTTP only while DEBUG is on.
    settings.DEBUG = True
    env["STUDIO_LOG_LEVEL"] = "INFO"
    worker = Worker(env)
    try:
        gen = create(owner, prompt="over a real socket", aspect_ratio="3:2", output_format="jpeg")
        wait_finished(worker, gen)
        assert_stored_image(gen, size=(2048, 1365), fmt="JPEG")
        assert [c["method"] for c in gen.request_ids][:2] == ["POST", "GET"]
        log = worker.log_path.read_text()
        assert "upstream POST /generations -> 201" in log
        assert KEY not in log
    finally:
        worker.stop()
        worker.remove_log()
