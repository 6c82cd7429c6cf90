import pytest

from tests.fulfilment.route_partner import route_print_connection


@pytest.fixture
def route_print(settings):
    """A test partner (tests.fulfilment.route_partner) that keeps what it was sent in CALLS."""
    return route_print_connection(settings)


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """Tasks queued on commit run here, as a worker would, when the block ends: those of the
    rules and the send; others (an artwork fetch, which would call a vendor) are only listed."""
    from config.celery import app

    app.loader.import_default_modules()
    queued: list = []

    def send_task(name, args=(), kwargs=None, **options):
        queued.append(name)
        if name.startswith("operations.") or name == "fulfilment.tasks.fulfilment_order_send_task":
            return app.tasks[name].apply(args=args, kwargs=kwargs)
        return None

    monkeypatch.setattr(app, "send_task", send_task)

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    run.queued = queued
    return run
