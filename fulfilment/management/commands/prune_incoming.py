from django.conf import settings
from django.core.management.base import BaseCommand

from fulfilment.services.incoming import incoming_prune
from orders.text import counted


class Command(BaseCommand):
    help = "Delete stored vendor requests (callbacks, pushes) older than the retention."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.INCOMING_RETENTION_DAYS,
            help="Keep this many days (default INCOMING_RETENTION_DAYS, %(default)s).",
        )

    def handle(self, *args, days, **options):
        if days < 0:
            self.stderr.write("--days must be 0 or more.")
            return
        deleted = incoming_prune(days=days)
        self.stdout.write(f"Deleted {counted(deleted, 'stored request')} older than {counted(days, 'day')}.")
