from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from orders.models import VendorConnection
from orders.services.connections import connection_upsert

# The flag behind each field, so that every error names what to fix on the command line.
FLAGS = {
    "kind": "--kind",
    "name": "--name",
    "shop_domain": "--shop",
    "company": "--company",
    "base_url": "--base-url",
    "orders_url": "--orders-url",
    "shipping_url": "--shipping-url",
    "stock_url": "--stock-url",
    "push_hmac_key": "--push-hmac-key",
    "sync_every_minutes": "--sync-every",
}
TOKEN_KINDS = (VendorConnection.Kind.KICKFLIP, VendorConnection.Kind.MYCUSTOMIZER)


class Command(BaseCommand):
    help = "Create or update a vendor connection by name, non-interactively (for scripted deployments)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=VendorConnection.Kind.values)
        parser.add_argument("--name", required=True)
        parser.add_argument("--shop", help="Qstomizer: the Shopify store, e.g. mystore.myshopify.com")
        parser.add_argument("--api-key", help="Qstomizer / Custom Gateway: the API key (stored encrypted)")
        parser.add_argument("--company", help="Kickflip / MyCustomizer: the brand id; Custom Gateway: the company id")
        parser.add_argument("--token", help="Kickflip / MyCustomizer: the API token, a JWT (stored encrypted)")
        parser.add_argument("--push-hmac-key", help="Custom Gateway supplier: verifies pushed orders (encrypted)")
        parser.add_argument("--base-url", help="defaults to the vendor's production URL")
        parser.add_argument("--orders-url", help="Custom Gateway: the Order-iT orders URL (default: ours)")
        parser.add_argument("--shipping-url", help="Custom Gateway: the order shipping URL, may hold {order_id}")
        parser.add_argument("--stock-url", help="Custom Gateway: the stock URL")
        parser.add_argument("--sync-every", type=int, help="minutes between scheduled syncs; 0 for none")
        parser.add_argument("--inactive", action="store_true", help="create it switched off")

    def handle(self, *args, **options):
        sync_every = options.get("sync_every")
        if options.get("api_key") is not None and options.get("token") is not None:
            raise CommandError(
                "give --api-key (Qstomizer, Custom Gateway) or --token (Kickflip / MyCustomizer), not both"
            )
        key_flag = "--token" if options.get("token") is not None or options["kind"] in TOKEN_KINDS else "--api-key"
        flags = {**FLAGS, "api_key": key_flag}
        try:
            connection, created = connection_upsert(
                name=options["name"],
                kind=options["kind"],
                shop_domain=_strip(options.get("shop")),
                api_key=options["api_key"] if options.get("api_key") is not None else options.get("token"),
                push_hmac_key=options.get("push_hmac_key"),
                company=_strip(options.get("company")),
                base_url=options.get("base_url"),
                orders_url=options.get("orders_url"),
                shipping_url=options.get("shipping_url"),
                stock_url=options.get("stock_url"),
                sync_every_minutes=(sync_every or None) if sync_every is not None else None,
                is_active=False if options["inactive"] else None,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                detail = "; ".join(
                    f"{flags.get(field, field)}: {' '.join(errors).rstrip('.')}"
                    if field != "__all__"
                    else " ".join(errors).rstrip(".")
                    for field, errors in exc.message_dict.items()
                )
            else:
                detail = " ".join(exc.messages)
            raise CommandError(detail) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} connection {connection.name!r} (id {connection.pk}, {connection.get_kind_display()})."
        )


def _strip(value):
    return value.strip() if value is not None else None
