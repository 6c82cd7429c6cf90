"""Tests: SQLite unless DATABASE_URL is set (CI sets PostgreSQL)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=")
os.environ.setdefault("SANDBOX_ENABLED", "true")
os.environ.setdefault("SANDBOX_QSTOMIZER_SIZE", "120")

from .base import *  # noqa: E402,F403

# Development only: the vendor simulators, the demo and bootstrap_demo (never in production).
INSTALLED_APPS = [*INSTALLED_APPS, "integrations.sandbox"]  # noqa: F405

ALLOWED_HOSTS = ["*"]
# Tests open connections from many threads (live server, workers): close them after each
# request so that the test database can be dropped at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
VENDOR_HTTP_BACKOFF = 0.0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# pytest-xdist (bin/test runs one worker per core): every worker process has its own test database
# (pytest-django adds the worker's name to it) and here its own Redis database, counted down from
# TEST_REDIS_URL's (gw0 keeps it, gw1 takes the one below...), so that one worker's Celery worker
# never takes another's tasks. Written back to the environment, where the fixtures and the worker
# processes the tests start read it; derived from the URL first given (TEST_REDIS_BASE_URL), so a
# worker process that loads these settings again lands on the same database.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker.startswith("gw") and os.environ.get("TEST_REDIS_URL"):
    _base, _, _db = (
        os.environ.setdefault("TEST_REDIS_BASE_URL", os.environ["TEST_REDIS_URL"]).rstrip("/").rpartition("/")
    )
    os.environ["TEST_REDIS_URL"] = f"{_base}/{(int(_db or 0) - int(_xdist_worker[2:])) % 16}"

# Celery: Redis when the suite has one (the worker tests need it); in-memory otherwise, so that
# a test that queues a task never writes into the developer's filesystem broker.
CELERY_BROKER_URL = os.environ.get("TEST_REDIS_URL") or "memory://"
# base.py picked the threads pool for the filesystem broker it saw first; the tests' broker is
# Redis or memory, and the worker tests run prefork.
CELERY_WORKER_POOL = "prefork"
CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS  # noqa: F405
# Tests never run collectstatic: WhiteNoise reads the app and static/ folders on each request.
# The hook tests read the outcome in the answer: status callbacks applied in the request there;
# tests/fulfilment/test_callbacks_deferred.py turns the worker path on.
HOOK_STATUS_CALLBACKS_DEFERRED = False
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tests run inside a transaction, so code that closes the connection mid-test (a management
# command's exit) hands the pool a connection in a transaction, and psycopg's pool warns that it
# rolls it back. That is the test's wrapping transaction, not a leak: keep the warning out of the
# output that tests read.
LOGGING["loggers"]["psycopg.pool"] = {"level": "ERROR"}
# django-axes says "AXES: BEGIN ..." at INFO each time a process starts Django (every xdist worker).
LOGGING["loggers"]["axes.apps"] = {"level": "WARNING"}

# No thumbnail mirroring after the suite's syncs (it would add fetches and worker tasks to tests
# about other things); tests/orders/test_thumbnails.py turns it on where it is the subject.
THUMBNAILS_MIRROR = False

# The dashboard's kept totals: recomputed on every change (a test with tasks_inline sees it at once).
DASHBOARD_TOTALS_REFRESH_SECONDS = 0
