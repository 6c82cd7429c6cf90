"""Partner print files polled on a real Celery worker consuming from Redis (the beat task as a
schedule runs it): the ready file ends stored, previewed and settled."""

import pytest
from django.utils import timezone

from fulfilment.models import PartnerPrintFile
from fulfilment.tasks import partner_print_files_poll_task
from tests.fulfilment.test_partner_print_files import pdf, printco, printco_registered, ready, row_of, sent_order
from tests.orders.test_tasks import module_worker, wait_for, worker

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
__all__ = ["module_worker", "printco", "printco_registered", "worker"]  # fixtures, used by name


def test_the_poll_task_on_a_worker_stores_a_ready_file(worker, printco):
    row = row_of(sent_order(printco))
    ready(row, pdf(pages=1))
    PartnerPrintFile.objects.filter(pk=row.pk).update(next_poll_at=timezone.now())

    partner_print_files_poll_task.delay(printco.pk)

    assert wait_for(lambda: PartnerPrintFile.objects.filter(pk=row.pk, next_poll_at__isnull=True).exists())
    row.refresh_from_db()
    assert (row.state, row.content_type, row.page_count) == ("ready", "application/pdf", 1)
    assert row.file and row.preview and row.polls == 1
