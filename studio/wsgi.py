import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse here too, so a production server never starts on
# the development secret key (see studio.core.checks).
from studio.core.checks import HINT, secret_key_problem  # noqa: E402

if problem := secret_key_problem():
    raise ImproperlyConfigured(f"{problem} {HINT}")
