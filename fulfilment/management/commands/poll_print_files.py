from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from fulfilment.services.print_files import partner_print_files_poll, partner_print_files_unsettled
from integrations.registry import Capability
from orders.models import VendorConnection
from orders.text import counted

BATCH = 50


class Command(BaseCommand):
    help = (
        "Poll the print files partners make (PRINT_FILE_POLLING): the due ones (default) or --all unsettled, "
        "downloading those that are ready, with a progress bar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="only this connection (its name or id)")
        parser.add_argument("--all", action="store_true", help="every unsettled print file, due or not")
        parser.add_argument("--limit", type=int, help="at most this many (default: all of them, in batches)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, connection=None, all=False, limit=None, no_progress=False, **options):
        target = self._connection(connection) if connection else None
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        queryset = partner_print_files_unsettled(target)
        if not all:
            queryset = queryset.filter(next_poll_at__lte=timezone.now())
        ids = list(queryset.order_by("next_poll_at", "pk").values_list("pk", flat=True)[:limit])
        outcomes: dict[str, int] = {}
        polled = 0
        with tqdm(total=len(ids), desc="Print files", unit="file", disable=no_progress, file=self.stderr._out) as bar:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                summary = partner_print_files_poll(connection=target, every=all, ids=chunk, limit=len(chunk))
                polled += summary.polled
                bar.update(len(chunk))
                for name, count in summary.outcomes.items():
                    outcomes[name] = outcomes.get(name, 0) + count
        said = ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items())) or "none due"
        self.stdout.write(f"{counted(polled, 'print file')} polled: {said}")
        if outcomes.get("failed"):
            self.stdout.write(
                "Failed print files are in the admin (Partner print files, state Failed): Retry them there."
            )

    def _connection(self, value: str) -> VendorConnection:
        found = VendorConnection.objects.filter(pk=int(value)) if value.isdigit() else VendorConnection.objects.none()
        found = found or VendorConnection.objects.filter(name=value)
        connection = found.first()
        if connection is None:
            raise CommandError(f"no connection {value!r}")
        if not connection.spec.has(Capability.PRINT_FILE_POLLING):
            raise CommandError(f"{connection.name} ({connection.spec.label}) does not make print files to poll")
        return connection
