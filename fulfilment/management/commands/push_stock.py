from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fulfilment.models import StockLevel, StockPush
from fulfilment.services.stock import (
    ENCODINGS,
    StockImportError,
    stock_changed,
    stock_csv_decode,
    stock_import_apply,
    stock_import_preview,
    stock_push,
)
from integrations.registry import Capability, specs_with
from orders.models import VendorConnection
from orders.text import counted

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Push stock levels to the partner: the changed ones (default) or --all, optionally importing a CSV first."

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="The connection's name or id (default: the only one that takes stock)")
        parser.add_argument("--all", action="store_true", help="push every level, not only the changed ones")
        parser.add_argument("--file", help="import this CSV (columns sku, quantity) before pushing")
        parser.add_argument(
            "--encoding",
            choices=list(ENCODINGS),
            default="auto",
            help="the CSV's encoding (default: detect UTF-8 or UTF-16; cp1252 for Excel on Windows)",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, connection=None, all=False, file=None, encoding="auto", no_progress=False, **options):
        target = self._connection(connection)
        if file:
            self._import(target, file, encoding)
        levels = StockLevel.objects.filter(connection=target) if all else stock_changed(target)
        total = levels.count()
        bar = tqdm(total=total, unit="sku", desc="Stock push", disable=no_progress, file=self.stderr._out)

        def progress(done, _total):
            bar.n = done
            bar.refresh()

        record = stock_push(target, levels, progress=progress)
        bar.close()
        self.stdout.write(
            f"Stock push #{record.pk}: {record.count} of {counted(total, 'SKU')} sent, {record.get_status_display()}."
        )
        if record.status != StockPush.Status.SUCCEEDED:
            raise CommandError(record.error or "the push failed")

    def _import(self, target, file, encoding):
        """The same reading and the same messages as the admin's import screen; all rows or none."""
        try:
            with open(file, "rb") as handle:
                data = handle.read(settings.STOCK_IMPORT_MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
        if len(data) > settings.STOCK_IMPORT_MAX_BYTES:
            raise CommandError(f"{file} is larger than {settings.STOCK_IMPORT_MAX_BYTES:,} bytes: split it")
        try:
            text, _used = stock_csv_decode(data, encoding)
        except StockImportError as exc:
            raise CommandError(f"{file}: {exc} (--encoding cp1252 or --encoding latin-1)") from None
        rows = stock_import_preview(target, text)
        bad = [row for row in rows if row.error]
        if bad:
            for row in bad[:SHOWN_ERRORS]:
                self.stderr.write(f"  line {row.line}: {row.error}")
            if len(bad) > SHOWN_ERRORS:
                self.stderr.write(f"  ... and {len(bad) - SHOWN_ERRORS} more")
            raise CommandError(f"{counted(len(bad), 'row')} of {file} with errors; nothing was imported or pushed")
        self.stdout.write(f"Imported {counted(stock_import_apply(target, rows), 'stock level')} from {file}.")

    def _connection(self, name):
        candidates = VendorConnection.objects.with_capability(Capability.STOCK).filter(is_active=True)
        labels = " or ".join(spec.label for spec in specs_with(Capability.STOCK))
        if name:
            found = candidates.filter(name=name).first() or (
                candidates.filter(pk=int(name)).first() if name.isdigit() and int(name) < 2**63 else None
            )
            if found is None:
                raise CommandError(f"no active {labels} connection {name!r}")
            return found
        if candidates.count() != 1:
            names = ", ".join(candidates.values_list("name", flat=True)) or "none"
            raise CommandError(f"choose one with --connection ({labels} connections: {names})")
        return candidates.get()
