from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fulfilment.models import StockLevel, StockPush
from fulfilment.services.stock import stock_changed, stock_import_apply, stock_import_preview, stock_push
from orders.models import VendorConnection


class Command(BaseCommand):
    help = "Push stock levels to Custom Gateway: the changed ones (default) or --all, optionally importing a CSV first."

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="Custom Gateway connection name or id (default: the only one)")
        parser.add_argument("--all", action="store_true", help="push every level, not only the changed ones")
        parser.add_argument("--file", help="import this CSV (columns sku, quantity) before pushing")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, connection=None, all=False, file=None, no_progress=False, **options):
        target = self._connection(connection)
        if file:
            try:
                with open(file, encoding="utf-8-sig") as handle:
                    rows = stock_import_preview(target, handle.read())
            except OSError as exc:
                raise CommandError(f"cannot read {file}: {exc.strerror}") from None
            bad = [row for row in rows if row.error]
            if bad:
                for row in bad[:20]:
                    self.stderr.write(f"  line {row.line}: {row.error}")
                raise CommandError(f"{len(bad)} row(s) of {file} have errors; nothing was imported or pushed")
            self.stdout.write(f"Imported {stock_import_apply(target, rows)} level(s) from {file}.")
        levels = StockLevel.objects.filter(connection=target) if all else stock_changed(target)
        total = levels.count()
        bar = tqdm(total=total, unit="sku", desc="Stock push", disable=no_progress, file=self.stderr._out)

        def progress(done, _total):
            bar.n = done
            bar.refresh()

        record = stock_push(target, levels, progress=progress)
        bar.close()
        self.stdout.write(
            f"Stock push #{record.pk}: {record.count} of {total} SKU(s) sent, {record.get_status_display()}."
        )
        if record.status != StockPush.Status.SUCCEEDED:
            raise CommandError(record.error or "the push failed")

    def _connection(self, name):
        candidates = VendorConnection.objects.filter(kind=VendorConnection.Kind.CUSTOM_GATEWAY, is_active=True)
        if name:
            found = candidates.filter(name=name).first() or (
                candidates.filter(pk=name).first() if name.isdigit() else None
            )
            if found is None:
                raise CommandError(f"no active Custom Gateway connection {name!r}")
            return found
        if candidates.count() != 1:
            names = ", ".join(candidates.values_list("name", flat=True)) or "none"
            raise CommandError(f"choose one with --connection (Custom Gateway connections: {names})")
        return candidates.get()
