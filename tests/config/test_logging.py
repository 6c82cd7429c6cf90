"""Hook secrets and artwork tokens never reach a log line: Django's request logger through the
test client, and gunicorn's access and error logs from a real gunicorn serving the app."""

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection as db_connection

from config.logging import RedactSecretsFilter, redact
from fulfilment.models import PushedOrder
from fulfilment.services.orders import order_push_url, status_callback_url
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]


def hook_paths(connection):
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return status_callback_url(connection).removeprefix(base), order_push_url(connection).removeprefix(base)


@pytest.mark.django_db
def test_django_request_log_lines_of_hook_and_artwork_urls_hide_the_token(client, caplog, gateway):
    connection = gateway
    token = connection.hook_token
    status_path, push_path = hook_paths(connection)
    wrong = "Wr0ngT0kenThatLooksReal123"

    with caplog.at_level(logging.INFO):
        unknown = client.post(f"/hooks/custom-gateway/{wrong}/status/", data="{}", content_type="application/json")
        unsigned = client.post(push_path, data="{}", content_type="application/json")
        unreadable = client.post(status_path, data="not json", content_type="application/json")
        artwork = client.get("/files/artwork/eyJzaWRlIjo0Mn0:1vQ9xY:abcDEFghiJKLmnoPQRstu/")

    assert [unknown.status_code, unsigned.status_code, artwork.status_code] == [404, 401, 404]
    assert unreadable.status_code < 500
    logged = caplog.text
    assert "Not Found: /hooks/custom-gateway/***/status/" in logged
    assert "Unauthorized: /hooks/custom-gateway/***/orders/" in logged
    assert "Not Found: /files/artwork/***/" in logged
    for secret in (token, wrong, "eyJzaWRlIjo0Mn0", "abcDEFghiJKLmnoPQRstu"):
        assert secret not in logged


def test_the_filter_cleans_messages_arguments_atoms_and_tracebacks():
    token = "s3cr3t-T0KEN"
    path = f"/hooks/custom-gateway/{token}/status/"

    class Atoms(dict):  # gunicorn's access-log atoms answer "-" for what they do not know
        def __getitem__(self, key):
            return super().get(key, "-")

    try:
        raise ValueError(f"cannot handle {path}")
    except ValueError:
        exc_info = sys.exc_info()
    records = [
        logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", (path,), None),
        logging.LogRecord("x", logging.INFO, __file__, 1, f"GET {path} 200", (), None),
        logging.LogRecord("x", logging.ERROR, __file__, 1, "Error handling request %s", (path,), exc_info),
    ]
    atoms = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '"%(r)s" %(s)s %(x)s', (), None)
    atoms.args = Atoms(r=f"POST {path} HTTP/1.1", s="404")
    records.append(atoms)

    shown = []
    for record in records:
        assert RedactSecretsFilter().filter(record) is True  # never drops a line
        shown.append(logging.Formatter("%(message)s").format(record))

    assert shown[:2] == ["Not Found: /hooks/custom-gateway/***/status/", "GET /hooks/custom-gateway/***/status/ 200"]
    assert shown[2].startswith("Error handling request /hooks/custom-gateway/***/status/\nTraceback")
    assert shown[3] == '"POST /hooks/custom-gateway/***/status/ HTTP/1.1" 404 -'
    assert not any(token in line for line in shown)
    assert redact("/files/artwork/abc:1x:sig/?download=1") == "/files/artwork/***/?download=1"
    assert redact("/admin/fulfilment/") == "/admin/fulfilment/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn_server(transactional_db, tmp_path):
    """gunicorn with config/gunicorn.conf.py (gthread, the logging filter) serving the app against
    this test's database, its stdout (access log) and stderr (error log) in files."""
    need(db_connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://...)")
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
    }
    out, err = tmp_path / "access.log", tmp_path / "error.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {err.read_text()}")
            try:
                requests.get(f"{base}/admin/login/", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to boot
                time.sleep(0.1)
        yield base, out, err
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_serves_the_app_and_its_logs_never_show_a_hook_token(gunicorn_server, gateway):
    base, access_log, error_log = gunicorn_server
    connection = gateway
    status_path, push_path = hook_paths(connection)

    answers = [
        requests.post(f"{base}{push_path}", data=b"{}", timeout=10).status_code,  # unsigned: 401
        requests.post(f"{base}{status_path}?x=1", data=b"not json", timeout=10).status_code,
        requests.post(f"{base}/hooks/custom-gateway/An0therGuessedT0ken/status/", data=b"{}", timeout=10).status_code,
        requests.get(f"{base}/files/artwork/eyJzaWRlIjo0Mn0:1vQ9xY:abcDEFghiJKLmnoPQRstu/", timeout=10).status_code,
        # WhiteNoise serves static files from the same server.
        requests.get(f"{base}/static/admin/css/base.css", timeout=10).status_code,
    ]
    assert answers[0] == 401 and answers[2] == 404 and answers[3] == 404 and answers[4] == 200
    assert all(code < 500 for code in answers)

    # The Custom Gateway sandbox pushes a signed order back into the app while our request to it
    # is still in flight: served because the worker has threads (one thread would wait forever).
    pushed = requests.post(
        f"{base}/sandbox/custom-gateway/control/push",
        json={"push_url": f"{base}{push_path}", "hmac_key": connection.secret("push_hmac_key")},
        timeout=60,
    )
    assert pushed.status_code == 200 and pushed.json()["status_code"] == 200
    assert PushedOrder.objects.filter(connection=connection).count() == 1

    for _ in range(100):  # the access log line is written after the response
        if access_log.read_text().count("\n") >= 7:
            break
        time.sleep(0.05)

    access, errors = access_log.read_text(), error_log.read_text()
    assert '"POST /hooks/custom-gateway/***/orders/ HTTP/1.1" 401' in access
    assert '"POST /hooks/custom-gateway/***/status/ HTTP/1.1" 404' in access
    assert '"POST /hooks/custom-gateway/***/status/?x=1 HTTP/1.1"' in access
    assert '"GET /files/artwork/***/ HTTP/1.1" 404' in access
    assert '"POST /hooks/custom-gateway/***/orders/ HTTP/1.1" 200' in access  # the sandbox's push
    assert '"POST /hooks/custom-gateway/***/orders/ HTTP/1.1" 200' in access  # the sandbox's push
    assert "Unauthorized: /hooks/custom-gateway/***/orders/" in errors  # django.request, in the worker
    for secret in (connection.hook_token, "An0therGuessedT0ken", "abcDEFghiJKLmnoPQRstu"):
        assert secret not in access and secret not in errors
    assert "gthread" in errors or "Booting worker" in errors


def test_a_celery_worker_logs_no_hook_token(redis_url, tmp_path):
    """A real worker (its own logging setup replaces the root handlers) logging a message body
    that carries a hook URL: the line is there, the token is not."""
    from config.celery import app

    token = "W0rkerT0kenSecret42"
    queue = f"stock-logtest-{os.getpid()}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "TEST_REDIS_URL": redis_url}
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]
    with log.open("wb") as output:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            if "ready." in log.read_text() or worker.poll() is not None:
                break
            time.sleep(0.1)
        assert "ready." in log.read_text(), log.read_text()
        with app.connection_for_write(redis_url) as connection:
            app.send_task(
                "no.such.task",
                args=[f"https://bo.example.com/hooks/custom-gateway/{token}/status/"],
                queue=queue,
                connection=connection,
            )
        for _ in range(300):
            if "no.such.task" in log.read_text():
                break
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    text = log.read_text()
    assert "Received unregistered task of type 'no.such.task'" in text
    assert "/hooks/custom-gateway/***/status/" in text
    assert token not in text
