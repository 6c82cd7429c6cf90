from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from orders.models import VendorConnection
from orders.services.connections import connection_upsert


class Command(BaseCommand):
    help = "Create or update a vendor connection by name, non-interactively (for scripted deployments)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=VendorConnection.Kind.values)
        parser.add_argument("--name", required=True)
        parser.add_argument("--shop", help="Qstomizer: the Shopify store, e.g. mystore.myshopify.com")
        parser.add_argument("--api-key", help="Qstomizer: the V3 API key (stored encrypted)")
        parser.add_argument("--company", help="Kickflip / MyCustomizer: the company (brand) name")
        parser.add_argument("--token", help="Kickflip / MyCustomizer: the API token, a JWT (stored encrypted)")
        parser.add_argument("--base-url", help="defaults to the vendor's production URL")
        parser.add_argument("--sync-every", type=int, help="minutes between scheduled syncs; 0 for none")
        parser.add_argument("--inactive", action="store_true", help="create it switched off")

    def handle(self, *args, **options):
        sync_every = options.get("sync_every")
        if options.get("api_key") and options.get("token"):
            raise CommandError("give --api-key (Qstomizer) or --token (Kickflip / MyCustomizer), not both")
        try:
            connection, created = connection_upsert(
                name=options["name"],
                kind=options["kind"],
                shop_domain=options.get("shop"),
                api_key=options.get("api_key") or options.get("token"),
                company=options.get("company"),
                base_url=options.get("base_url"),
                sync_every_minutes=(sync_every or None) if sync_every is not None else None,
                is_active=False if options["inactive"] else None,
            )
        except (ValidationError, ValueError) as exc:
            messages = exc.message_dict if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") else None
            if messages:
                detail = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in messages.items())
            else:
                detail = " ".join(getattr(exc, "messages", [str(exc)]))
            raise CommandError(detail) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} connection {connection.name!r} (id {connection.pk}, {connection.get_kind_display()})."
        )
