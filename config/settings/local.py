"""The default a newcomer runs: SQLite, the filesystem broker, the vendor sandbox on."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "local-only-not-secret")
# A fixed development key; production must set its own (production.py has no default).
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "bG9jYWwtZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("SANDBOX_ENABLED", "true")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
# Print files a partner makes settle within a minute or two here (polls 10 s, 20 s, 40 s... apart,
# on each connection's every-minute schedule) rather than the production default's minutes.
os.environ.setdefault("PRINT_FILE_POLL_BASE_SECONDS", "10")
# Alerts' e-mails are printed by the worker instead of sent.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

from .base import *  # noqa: E402,F403

# Development only: the vendor simulators, the demo and bootstrap_demo (never in production).
INSTALLED_APPS = [*INSTALLED_APPS, "integrations.sandbox"]  # noqa: F405
