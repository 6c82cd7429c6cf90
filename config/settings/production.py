"""Production: every secret from the environment, no defaults; the sandbox is off."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SANDBOX_ENABLED = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# --- Deploy checks: `manage.py check --deploy` reports no issues ---------------
# HSTS as Django's deployment checklist and OWASP advise: a year, subdomains, preload-ready. Lower
# DJANGO_SECURE_HSTS_SECONDS while trying out HTTPS on a new host; browsers remember it.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_REFERRER_POLICY = "same-origin"  # our URLs carry secrets (hook tokens, artwork links)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Static files: collectstatic writes hashed, compressed copies that WhiteNoise serves for a year.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Vendors call back and fetch artwork here: no default, a wrong one would fail silently.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL")
# The vendor simulators are not routed in production: no path is left out of the site CSP.
CONTENT_SECURITY_POLICY = {**CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": []}  # noqa: F405
