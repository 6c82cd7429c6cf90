import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# The longest a task's retry waits (its countdown): well under the broker's visibility timeout
# (CELERY_BROKER_VISIBILITY_TIMEOUT, 2 h by default), or a waiting retry would be delivered twice.
RETRY_BACKOFF_MAX = 30 * 60

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Secrets out of the worker's logs too: Celery replaces the root logger's
# handlers with its own, so the redacting filter of config/logging.py goes on those handlers.
@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _redact_secrets_in_worker_logs(logger=None, **kwargs):
    from config.logging import RedactSecretsFilter

    for handler in logger.handlers if logger else []:
        if not any(isinstance(existing, RedactSecretsFilter) for existing in handler.filters):
            handler.addFilter(RedactSecretsFilter())


def reliable_task(*, name: str, **options: Any) -> Any:
    """`shared_task` with what every task of this project has: at-least-once delivery (acked
    after it ran, requeued when its worker dies), and retries (of what `autoretry_for` names)
    backing off with jitter to at most RETRY_BACKOFF_MAX seconds. The task gives its name (the
    one services queue it by), `autoretry_for`, `retry_backoff`, `max_retries`, `on_failure`."""
    from celery import shared_task

    defaults = {
        "bind": True,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "retry_backoff_max": RETRY_BACKOFF_MAX,
        "retry_jitter": True,
    }
    return shared_task(name=name, **(defaults | options))


def queue_on_commit(name: str, *args, **kwargs) -> None:
    """Queue the task registered as `name` once the current transaction commits (at once outside
    one), by name: services decide what runs in the background without importing the task
    modules, which import the services (no services <-> tasks cycle). Options for the message
    itself (`countdown`, ...) go in `options={...}`; a name that no worker knows is refused by
    the worker, and tests/test_tasks.py checks that every name queued here is registered."""
    from django.db import transaction

    options = kwargs.pop("options", None) or {}
    transaction.on_commit(lambda: app.send_task(name, args=args, kwargs=kwargs, **options))


def failure_cause(exc: BaseException) -> BaseException:
    """The exception a task stopped on, as `on_failure` should see it. Celery hands `on_failure`
    a picklable copy and wraps one it cannot pickle (UnpickleableExceptionWrapper); this gives
    back the original type where it can be rebuilt."""
    from celery.utils.serialization import UnpickleableExceptionWrapper

    if isinstance(exc, UnpickleableExceptionWrapper):
        try:
            return exc.restore()
        except Exception:
            return exc
    return exc
