"""add_print_jobs: add print jobs (refs a vendor's designer made, captured by the store) to a
connection as customizations, from the command line and/or a CSV file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orders.models import VendorConnection
from orders.services.print_jobs import PrintJobsRefused, print_jobs_add, refs_from_csv


class Command(BaseCommand):
    help = "Add print jobs by reference to a connection (e.g. Custom Gateway's printJobRef): add_print_jobs --connection NAME REF... [--file refs.csv]"

    def add_arguments(self, parser):
        parser.add_argument("--connection", required=True, help="The connection's name.")
        parser.add_argument("refs", nargs="*", help="Print job references.")
        parser.add_argument("--file", help="A CSV file of refs (a printJobRef column, or the first column).")

    def handle(self, *args, connection: str, refs: list[str], file: str | None, **options):
        found = VendorConnection.objects.filter(name=connection).first()
        if found is None:
            raise CommandError(f"No connection is named {connection!r}.")
        refs = list(refs)
        if file:
            try:
                refs += refs_from_csv(Path(file).read_bytes())
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
            except PrintJobsRefused as exc:
                raise CommandError(f"{file}: {exc}") from None
        if not refs:
            raise CommandError("No refs given: name some, or a --file.")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"{done}/{total} written")

        try:
            outcome = print_jobs_add(found, refs, progress=progress)
        except PrintJobsRefused as exc:
            raise CommandError(str(exc)) from None
        for problem in outcome.invalid:
            self.stderr.write(f"refused: {problem}")
        self.stdout.write(self.style.SUCCESS(f"{found.name}: {outcome.summary()}"))
