from django.core.management.base import BaseCommand, CommandError

from operations.services.dashboard_totals import rebuild


class Command(BaseCommand):
    help = (
        "Recompute the home dashboard's kept daily totals from the orders and fulfilment rows: the "
        "last N days, or every day (after a bulk load, a restore, or a change of TIME_ZONE)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="only the last N days, today included (default: every day)")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        written = rebuild(days)
        self.stdout.write(f"Dashboard totals rebuilt: {written} rows written.")
