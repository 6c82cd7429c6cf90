"""What every vendor's sync shares: counters, heartbeat, progress, error records, writes."""

from __future__ import annotations

import logging

from django.utils import timezone

from ..models import SyncRun
from .bad_words import mapped_screen
from .writer import customizations_write

logger = logging.getLogger("orders.services.sync")

MAX_RECORDED_ERRORS = 200


def record_error(run: SyncRun, message: str) -> None:
    if len(run.errors) < MAX_RECORDED_ERRORS:
        run.errors.append(message)
    elif len(run.errors) == MAX_RECORDED_ERRORS:
        run.errors.append("… more errors were not recorded.")


class ConnectionSync:
    def __init__(self, connection, run: SyncRun, client, *, progress=None):
        self.connection = connection
        self.run_record = run
        self.client = client
        self.progress = progress

    def _write(self, mapped, state) -> None:
        """Screen a batch of mapped customizations in memory, then write it with its flags."""
        run = self.run_record
        mapped_screen(mapped)
        outcome = customizations_write(self.connection, mapped, state)
        run.created += outcome.created
        run.updated += outcome.updated
        run.unchanged += outcome.unchanged

    def skip(self, what, exc: Exception) -> None:
        self.run_record.failed += 1
        record_error(self.run_record, f"Customization {what} was skipped: {exc}")
        logger.warning("connection %s: customization %s skipped: %s", self.connection.pk, what, exc)

    def _beat(self) -> None:
        run = self.run_record
        run.heartbeat_at = timezone.now()
        run.requests_made = self.client.requests_made
        run.save(
            update_fields=[
                "heartbeat_at",
                "progress",
                "fetched",
                "created",
                "updated",
                "unchanged",
                "failed",
                "errors",
                "requests_made",
                "note",
            ]
        )
        if self.progress:
            self.progress(run)
