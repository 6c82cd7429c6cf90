"""Production settings pass Django's deployment checklist, and django-axes counts failed logins per
real client behind a reverse proxy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model

from tests.factories import STAFF_PASSWORD, staff_in

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path, **extra):
    """The variables production needs, set to realistic values (a random 50-character secret key,
    a real Fernet key, PostgreSQL and Redis URLs); nothing from the developer's .env."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k8#Zq2!vR7@tY4pL9$wE1^nM6&bX3*cF0(hJ5)sD8_gA2+uK7=oI4",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "backoffice.example.com",
        "DATABASE_URL": "postgres://backoffice:password@db.internal:5432/backoffice",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
        "PUBLIC_BASE_URL": "https://backoffice.example.com",
        "VAR_DIR": str(tmp_path),
        **extra,
    }


def deploy_check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_passes_with_the_production_settings(tmp_path):
    result = deploy_check(production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deploy_check_would_catch_a_weakened_setting(tmp_path):
    # The same check, proving it looks: HSTS without subdomains is a warning that fails it.
    result = deploy_check(production_env(tmp_path, DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false"))

    assert result.returncode != 0
    assert "security.W005" in result.stderr + result.stdout


# -- django-axes behind a reverse proxy ----------------------------------------------------------

LOGIN = "/admin/login/"
pytestmark_db = pytest.mark.django_db


def attempt(client, password, forwarded_for=None, remote="10.0.0.2"):
    """One login through the admin's form; the answer is 302 (in), 200 (wrong) or 429 (locked)."""
    client.cookies.clear()
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(LOGIN, {"username": "ada", "password": password, "next": "/admin/"}, **extra).status_code


@pytest.fixture
def ada(db, settings):
    settings.AXES_FAILURE_LIMIT = 5
    return staff_in("Viewer", username="ada")


def test_a_successful_login_clears_the_earlier_failures(client, ada):
    assert [attempt(client, "wrong") for _ in range(4)] == [200] * 4
    assert attempt(client, STAFF_PASSWORD) == 302

    # Without the reset this 5th failure would lock the account out of this address.
    assert attempt(client, "wrong") == 200
    assert attempt(client, STAFF_PASSWORD) == 302


def test_five_failures_lock_the_account_out_from_that_address(client, ada):
    assert [attempt(client, "wrong") for _ in range(5)] == [200] * 4 + [429]
    assert attempt(client, STAFF_PASSWORD) == 429
    assert get_user_model().objects.get(username="ada").is_active  # the account itself is untouched


def test_behind_one_proxy_two_clients_are_counted_apart(client, ada, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"

    # The attacker's failures lock out the attacker's address only, even when it prepends a
    # made-up address (the proxy appends the one it saw: the right-most entry is the client).
    spoofed = "198.51.100.7, 203.0.113.66"
    assert [attempt(client, "wrong", spoofed, proxy) for _ in range(5)][-1] == 429
    assert attempt(client, STAFF_PASSWORD, "203.0.113.66", proxy) == 429
    assert attempt(client, STAFF_PASSWORD, "198.51.100.7", proxy) == 302  # someone else, not locked


def test_with_no_trusted_proxy_a_client_cannot_choose_its_address(client, ada, settings):
    settings.TRUSTED_PROXY_COUNT = 0

    # A fresh X-Forwarded-For on every try changes nothing: the connecting address is counted.
    codes = [attempt(client, "wrong", f"192.0.2.{n}", "203.0.113.9") for n in range(5)]
    assert codes[-1] == 429
    assert attempt(client, STAFF_PASSWORD, "192.0.2.200", "203.0.113.9") == 429
    assert attempt(client, STAFF_PASSWORD, None, "203.0.113.10") == 302  # another real address
