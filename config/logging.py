"""Secrets out of the logs: one filter that redacts the bearer part of our secret URLs.

A Custom Gateway connection's hook secret is the token in its status-callback and order-push URLs
(/hooks/custom-gateway/<token>/status/), and an artwork link (/files/artwork/<signed token>/) is a
bearer link: anyone holding either can act as the vendor or read the file. Request paths reach
log lines in Django's `django.request` (every 4xx/5xx: "Not Found: <path>"), `django.server`
(runserver's access log), and gunicorn's `gunicorn.access` and `gunicorn.error`, so the filter
sits on those loggers and on our handlers, and rewrites each record's message, its arguments
(tuple or gunicorn's atoms dict) and a formatted traceback. As Stripe and GitHub do with tokens in
their logs, the shape stays readable and only the secret is replaced: /hooks/custom-gateway/***/status/.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping

MASK = "***"
_STOP = r"[^/\s?#\"'<>]+"
SECRET_PATHS = [
    # /hooks/<vendor>/<token>/...  (any vendor, so a new hook is covered the day it is added)
    (re.compile(rf"(/hooks/{_STOP}/){_STOP}"), rf"\g<1>{MASK}"),
    # /files/artwork/<signed token>/
    (re.compile(rf"(/files/artwork/){_STOP}"), rf"\g<1>{MASK}"),
]


def redact(text: str) -> str:
    """`text` with the token part of every hook URL and artwork link replaced by ***."""
    if "/hooks/" not in text and "/files/artwork/" not in text:
        return text
    for pattern, replacement in SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


def _clean(value):
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (int, float, bytes)):
        return value  # numbers keep their type, so "%d" still formats
    shown = str(value)
    cleaned = redact(shown)
    return value if cleaned == shown else cleaned  # e.g. a request object whose repr has the path


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record in place (so every handler after it sees the redacted one); never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _clean(record.msg)
        args = record.args
        if isinstance(args, MutableMapping):
            # gunicorn's access atoms: a dict subclass that answers "-" for unknown keys; keep it.
            for key in list(args):
                args[key] = _clean(args[key])
        elif isinstance(args, Mapping):
            record.args = {key: _clean(value) for key, value in args.items()}
        elif isinstance(args, tuple):
            record.args = tuple(_clean(arg) for arg in args)
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


FILTER = {"redact_secrets": {"()": "config.logging.RedactSecretsFilter"}}

# Paths whose access-log lines are dropped: the built-in vendor sandboxes (development only) are
# called hundreds of times by a sync, which buried everything else `bin/run` printed.
QUIET_PATHS = ("/sandbox/",)


class QuietPathsFilter(logging.Filter):
    """Drops gunicorn access records of QUIET_PATHS (its atoms dict has the path as "U")."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        path = args.get("U") if isinstance(args, Mapping) else None
        return not (isinstance(path, str) and path.startswith(QUIET_PATHS))


def gunicorn_logconfig(level: str = "INFO") -> dict:
    """gunicorn's `logconfig_dict`: its error log on stderr and access log on stdout, both through
    the filter (on the loggers, for their own records, and on the handlers, for anything else)."""
    generic = {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {**FILTER, "quiet_paths": {"()": "config.logging.QuietPathsFilter"}},
        "formatters": {"generic": generic, "access": {"format": "%(message)s"}},
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "generic",
                "filters": ["redact_secrets"],
                "stream": "ext://sys.stderr",
            },
            "access_console": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "filters": ["redact_secrets"],
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"level": level, "handlers": ["error_console"]},
        "loggers": {
            "gunicorn.error": {
                "level": level,
                "handlers": ["error_console"],
                "filters": ["redact_secrets"],
                "propagate": False,
            },
            "gunicorn.access": {
                "level": "INFO",
                "handlers": ["access_console"],
                "filters": ["quiet_paths", "redact_secrets"],
                "propagate": False,
            },
        },
    }
