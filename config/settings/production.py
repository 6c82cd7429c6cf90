"""Production: every secret from the environment, no defaults; the sandbox is off."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SANDBOX_ENABLED = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=3600)
# Vendors call back and fetch artwork here: no default, a wrong one would fail silently.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL")
# The vendor simulators are not routed in production: no path is left out of the site CSP.
CONTENT_SECURITY_POLICY = {**CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": []}  # noqa: F405
