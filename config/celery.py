import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

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
