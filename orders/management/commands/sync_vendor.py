from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from integrations.http import VendorError
from orders.models import SyncRun, VendorConnection
from orders.services.sync import NothingToSync, customizations_sync, customizer_kinds
from orders.text import counted


def _since(value: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise CommandError(f"--since {value!r}: use YYYY-MM-DD or 'YYYY-MM-DD HH:MM[:SS]' (UTC)")


class Command(BaseCommand):
    help = "Sync one vendor connection now, with a progress bar and a summary line."

    def add_arguments(self, parser):
        parser.add_argument("connection", help="connection name or id")
        parser.add_argument("--since", help="read from this date (UTC) instead of the last sync less the look-back")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")

    def handle(self, *args, connection, since=None, no_progress=False, **options):
        target = VendorConnection.objects.filter(name=connection).first()
        if target is None and connection.isdigit():
            target = VendorConnection.objects.filter(pk=int(connection)).first()
        if target is None:
            names = ", ".join(VendorConnection.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"no connection {connection!r} (connections: {names})")
        if not target.is_active:
            raise CommandError(f"nothing to sync: connection {target.name!r} is inactive")
        if target.kind not in customizer_kinds():
            raise CommandError(
                f"nothing to sync: {target.name!r} is a {target.get_kind_display()} connection, "
                "which has no customizations (sync_vendor reads customizer apps)"
            )
        since_at = _since(since) if since else None

        bar = tqdm(total=100, unit="%", desc=f"Sync {target.name}", disable=no_progress, file=self.stderr._out)

        def progress(run: SyncRun):
            bar.n = round(run.progress * 100)
            bar.set_postfix(read=run.fetched, new=run.created, changed=run.updated, failed=run.failed, refresh=False)
            bar.refresh()

        try:
            run = customizations_sync(
                connection=target, since=since_at, trigger=SyncRun.Trigger.COMMAND, progress=progress
            )
        except VendorError as exc:
            bar.close()
            raise CommandError(f"sync failed: {exc}") from None
        except NothingToSync as exc:
            bar.close()
            raise CommandError(f"nothing to sync: {exc}") from None
        except DatabaseError as exc:
            bar.close()
            raise CommandError(
                f"sync failed: the connection to the database was lost ({type(exc).__name__}); "
                "what was written is kept and the next sync resumes"
            ) from None
        bar.close()
        if run.status == SyncRun.Status.SKIPPED:
            raise CommandError(run.note)
        for error in run.errors[:20]:
            self.stderr.write(f"  ! {error}")
        if len(run.errors) > 20:
            self.stderr.write(f"  ! … {len(run.errors) - 20} more in sync run #{run.pk}")
        self.stdout.write(f"Sync #{run.pk} of {target.name}: {run.summary_line()}")
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"{counted(run.failed, 'customization')} failed; see sync run #{run.pk}")
