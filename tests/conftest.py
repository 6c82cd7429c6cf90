"""Shared fixtures. Services the suite needs (PostgreSQL, Redis, Chromium) are skipped when
missing on a developer's machine and fail the run under CI.

Vendors over real HTTP, two ways:

- `sandbox_server`: the vendor sandboxes alone, served once per session from a thread of this
  process (TCP_NODELAY, no middleware, no database). A test talking to a sandbox through a client
  or a sync needs only `db` (rolled back, no table truncation) or no database at all.
- `live_server`: the whole app, for tests in which a vendor calls back into it or a browser drives
  it. It forces pytest-django's `transactional_db` (every table truncated after each test), so use
  it only then. Served with TCP_NODELAY too.
"""

import os
import shutil

import pytest
from django.db import connection as db_connection
from pytest_django.live_server_helper import LiveServer

from integrations.custom_gateway import sandbox as custom_gateway_sandbox_module
from integrations.mycustomizer import sandbox as mycustomizer_sandbox
from integrations.qstomizer import sandbox as qstomizer_sandbox
from integrations.sandbox.server import NoDelayThreadedWSGIServer, SandboxServer
from orders.models import VendorConnection

IN_CI = bool(os.environ.get("CI"))
CHROMIUM = "/usr/bin/chromium"


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = "redis" if os.environ.get("TEST_REDIS_URL") else "in-memory (worker tests need TEST_REDIS_URL)"
    return [f"database: {engine}; celery broker: {broker}; CI: {IN_CI}"]


def pytest_sessionstart(session):
    from django.conf import settings

    if IN_CI and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise pytest.UsageError("CI runs the suite on PostgreSQL: set DATABASE_URL=postgres://...")


def need(available: bool, what: str) -> None:
    """Skip locally, fail under CI: a missing service never passes silently there."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI: {what} is required but missing", pytrace=False)
    pytest.skip(f"{what} is not available here (required under CI)")


@pytest.fixture
def require_postgres(db):
    need(db_connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "")
    available = False
    if url:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
            available = True
        except redis.RedisError:
            available = False
    need(available, "Redis (TEST_REDIS_URL=redis://...)")
    return url


@pytest.fixture(scope="session")
def chromium_path():
    need(bool(shutil.which(CHROMIUM)), f"Chromium at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as pytest-django builds it, then snapshotted: a transactional test's
    teardown puts that state back with DELETE and INSERT instead of `flush` (tests/dbflush.py)."""
    from tests.dbflush import Snapshot, install

    snapshot = Snapshot()
    with django_db_blocker.unblock():
        snapshot.take()
    undo = install(snapshot)
    yield
    undo()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server (Django's LiveServerThread), with TCP_NODELAY on its sockets:
    without it each request on a kept-alive connection waits ~40 ms for a delayed ACK
    (integrations/sandbox/server.py)."""
    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    server.thread.server_class = NoDelayThreadedWSGIServer
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sandbox_server():
    """The vendor sandboxes over real HTTP for the whole session (`.url` as live_server's). The
    sandboxes keep their state in this process, so a test's `sandbox().fail_next(...)` holds."""
    server = SandboxServer().start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(settings):
    """A fresh Qstomizer sandbox for this test (statuses and faults reset)."""
    qstomizer_sandbox.reset()
    yield qstomizer_sandbox.sandbox()
    qstomizer_sandbox.reset()


@pytest.fixture
def qstomizer_connection(db, sandbox_server, sandbox, settings):
    """A Qstomizer connection pointing at the built-in sandbox over real HTTP."""
    return VendorConnection.objects.create(
        name="Sandbox Qstomizer",
        kind="qstomizer",
        settings={
            "shop_domain": settings.SANDBOX_QSTOMIZER_SHOP,
            "base_url": qstomizer_sandbox.base_url(sandbox_server.url),
        },
        secrets={"api_key": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )


@pytest.fixture
def kickflip_sandbox():
    """A fresh Kickflip / MyCustomizer sandbox for this test (orders, wordfilter and faults reset)."""
    mycustomizer_sandbox.reset()
    yield mycustomizer_sandbox.sandbox()
    mycustomizer_sandbox.reset()


@pytest.fixture
def kickflip_connection(db, sandbox_server, kickflip_sandbox, settings):
    """A Kickflip connection pointing at the built-in sandbox over real HTTP."""
    return VendorConnection.objects.create(
        name="Sandbox Kickflip",
        kind="kickflip",
        settings={
            "company": settings.SANDBOX_KICKFLIP_COMPANY,
            "base_url": mycustomizer_sandbox.base_url(sandbox_server.url, "kickflip"),
        },
        secrets={"api_key": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )


CUSTOM_GATEWAY_PUSH_KEY = "push-key"


@pytest.fixture
def custom_gateway_sandbox(live_server, settings):
    """A fresh Custom Gateway sandbox; this app's public URL is the live server's, so the sandbox's
    callbacks and pushes reach it."""
    settings.PUBLIC_BASE_URL = live_server.url
    custom_gateway_sandbox_module.reset()
    yield custom_gateway_sandbox_module.sandbox()
    custom_gateway_sandbox_module.reset()


@pytest.fixture
def custom_gateway_connection(live_server, custom_gateway_sandbox, settings):
    """A Custom Gateway connection to the sandbox, with CUSTOM_GATEWAY_PUSH_KEY for pushes."""
    connection = VendorConnection(
        name="CG sandbox",
        kind="custom_gateway",
        settings={
            "company": settings.SANDBOX_CUSTOM_GATEWAY_COMPANY,
            **custom_gateway_sandbox_module.base_url(live_server.url),
        },
        secrets={"api_key": settings.SANDBOX_API_KEY, "push_hmac_key": CUSTOM_GATEWAY_PUSH_KEY},
        sync_every_minutes=None,
    )
    connection.save()
    return connection


@pytest.fixture(scope="session")
def hostile_server():
    """A file host over real HTTP serving `tests.hostile.corpus()` for the whole session."""
    server = SandboxServer(urlconf="tests.hostile").start()
    yield server
    server.stop()


@pytest.fixture
def hostile_host(hostile_server):
    """The base URL of a file host over real HTTP that serves `tests.hostile.corpus()` (each
    file with the Content-Type it lies about)."""
    return f"{hostile_server.url}/hostile/"


@pytest.fixture
def gateway(db):
    """A Custom Gateway connection (no sandbox behind it) with an API key and a push HMAC key."""
    connection = VendorConnection(
        name="Custom Gateway",
        kind="custom_gateway",
        settings={"company": "99999"},
        secrets={"api_key": "cg-api-key-secret", "push_hmac_key": "push-hmac-key-secret"},
        sync_every_minutes=None,
    )
    connection.save()
    return connection


@pytest.fixture
def tasks_inline(monkeypatch):
    """Tasks queued by name (config.celery.queue_on_commit) run here, in this process, when they
    are sent (after the transaction commits), as a worker would run them; each (name, args,
    kwargs) is listed in the order sent. For tests of an action's outcome without a worker."""
    from config.celery import app

    app.loader.import_default_modules()
    sent = []

    def send_task(name, args=(), kwargs=None, **options):
        sent.append((name, tuple(args), dict(kwargs or {})))
        return app.tasks[name].apply(args=args, kwargs=kwargs)

    monkeypatch.setattr(app, "send_task", send_task)
    return sent
