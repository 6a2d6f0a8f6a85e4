"""What the test client sends to be taken for an htmx request (django-htmx reads the header)."""

HTMX = {"HTTP_HX_REQUEST": "true"}
