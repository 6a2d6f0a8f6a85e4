# The studio's image: the web server by default; the worker and migrate services of
# docker-compose.yml run `python manage.py …` in the same image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    WEB_CONCURRENCY=2

RUN groupadd --system studio \
    && useradd --system --gid studio --home-dir /app --no-create-home --shell /usr/sbin/nologin studio

WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY studio ./studio
COPY templates ./templates
COPY static ./static
# Editable, so settings find templates/ and static/ beside the package; no dev extras.
RUN pip install -e . \
    && python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown -R studio:studio /app/media /app/staticfiles

USER studio
EXPOSE 8000
# WEB_CONCURRENCY sets gunicorn's worker processes: one per core (2 here). Under uvicorn a
# process serves many requests at once, and each keeps its own card and composer caches and
# database pool (STUDIO_WEB_DB_POOL_MAX): more processes than cores only split the caches
# (docs/benchmarks.md, "Capacity: the web tier"). Settings come from the environment.
# ASGI through uvicorn's worker class: a request waiting for images in the API's OpenAI shape
# (up to STUDIO_API_WAIT_SECONDS, 300) is a coroutine, not a worker held; the timeout stays
# above that wait (raise both together). Every other request runs on Django's WSGI handler on
# a pool of STUDIO_WEB_THREADS threads per process (studio/core/sync_asgi.py).
CMD ["gunicorn", "studio.asgi:application", "--config", "python:studio.core.gunicorn_conf", "--worker-class", "uvicorn_worker.UvicornWorker", "--bind", "0.0.0.0:8000", "--timeout", "330"]
