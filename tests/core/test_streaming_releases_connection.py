"""A streamed answer gives its database connection back before its bytes are sent (under the
ASGI server, to the process's small pool): a slow download must not hold one for minutes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from studio.core.middleware import ReleaseConnectionWhileStreamingMiddleware

pytestmark = pytest.mark.django_db(transaction=True)


def answered_with(response_class):
    def view(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return response_class([b"bytes"])

    middleware = ReleaseConnectionWhileStreamingMiddleware(view)
    return middleware(RequestFactory().get("/"))


def test_a_streamed_answer_gives_its_connection_back():
    response = answered_with(StreamingHttpResponse)
    assert connection.connection is None
    assert b"".join(response.streaming_content) == b"bytes"


def test_any_other_answer_keeps_it_until_the_request_ends():
    answered_with(HttpResponse)
    assert connection.connection is not None
