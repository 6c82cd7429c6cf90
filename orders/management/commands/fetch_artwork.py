from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from integrations.http import VendorRetryable
from orders.models import Customization, CustomizationSide, SideArtwork
from orders.services.artwork import artwork_fetch
from orders.text import counted


class Command(BaseCommand):
    help = "Fetch and store the print files of approved designs now, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--customization", type=int, help="only this customization (its id here)")
        parser.add_argument("--retry-failed", action="store_true", help="also try again the ones that failed")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, customization=None, retry_failed=False, no_progress=False, **options):
        sides = CustomizationSide.objects.filter(customization__decision=Customization.Decision.APPROVED).exclude(
            design_hd_url="", design_url=""
        )
        if customization is not None:
            if not Customization.objects.filter(pk=customization).exists():
                raise CommandError(f"no customization with id {customization}")
            sides = sides.filter(customization_id=customization)
        states = [SideArtwork.State.PENDING, SideArtwork.State.FAILED] if retry_failed else [SideArtwork.State.PENDING]
        sides = sides.filter(artwork__state__in=states) | sides.filter(artwork__isnull=True)
        sides = list(sides.distinct().order_by("pk"))
        outcome = {"ready": 0, "needs attention": 0, "failed": 0, "later": 0, "skipped": 0}
        for side in tqdm(sides, desc="Artwork", unit="side", disable=no_progress, file=self.stderr._out):
            try:
                artwork = artwork_fetch(side, retry_failed=retry_failed)
            except VendorRetryable as exc:
                outcome["later"] += 1
                self.stderr.write(f"  ~ side {side.pk}: {exc} (left pending)")
                continue
            if artwork is None:
                outcome["skipped"] += 1
            elif artwork.state == SideArtwork.State.FAILED:
                outcome["failed"] += 1
                self.stderr.write(f"  ! side {side.pk}: {artwork.error}")
            else:
                outcome["ready" if artwork.state == SideArtwork.State.READY else "needs attention"] += 1
        self.stdout.write(
            f"{counted(len(sides), 'side')}: " + ", ".join(f"{count} {name}" for name, count in outcome.items())
        )
        if outcome["failed"] or outcome["later"]:
            raise CommandError("some print files could not be fetched; see above")
