import factory
from django.contrib.auth import get_user_model

from fulfilment.models import FulfilmentOrder, PushedOrder, Shipment, ShippingLabel, VendorOrder
from integrations.registry import spec_for
from orders.models import (
    Customization,
    CustomizationSide,
    DesignNode,
    OrderLine,
    SideArtwork,
    StoreOrder,
    VendorConnection,
)

# What a connection of each kind needs to be valid (its spec's required settings and secrets).
CONNECTION_DEFAULTS = {
    "qstomizer": {"shop_domain": "mystore.myshopify.com", "api_key": "k-" + "x" * 20},
    "kickflip": {"company": "brand", "api_key": "jwt-" + "x" * 20},
    "mycustomizer": {"company": "brand", "api_key": "jwt-" + "x" * 20},
    "custom_gateway": {"company": "99999", "api_key": "cg-" + "x" * 20},
    "idealfactory": {
        "base_url": "https://oms.example.com/api/v1",
        "store_ids": "store-1",
        "api_token": "if-" + "x" * 20,
    },
}


class VendorConnectionFactory(factory.django.DjangoModelFactory):
    """A connection of `kind` (default Qstomizer) with valid settings and secrets. Its spec's
    setting and secret names are keyword arguments too: ``VendorConnectionFactory(kind=
    "custom_gateway", company="9", push_hmac_key="k")`` fills `settings` and `secrets`."""

    class Meta:
        model = VendorConnection

    name = factory.Sequence(lambda n: f"Connection {n}")
    kind = "qstomizer"
    sync_every_minutes = None

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        spec = spec_for(kwargs["kind"])
        values = {**CONNECTION_DEFAULTS.get(spec.kind, {})}
        for name in [*(s.name for s in spec.settings), *(s.name for s in spec.secrets)]:
            if name in kwargs:
                values[name] = kwargs.pop(name)
        kwargs["settings"] = {s.name: values[s.name] for s in spec.settings if s.name in values} | kwargs.get(
            "settings", {}
        )
        kwargs["secrets"] = {s.name: values[s.name] for s in spec.secrets if s.name in values} | kwargs.get(
            "secrets", {}
        )
        return kwargs


class CustomizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customization

    connection = factory.SubFactory(VendorConnectionFactory)
    external_id = factory.Sequence(lambda n: str(500000 + n))
    status = Customization.Status.PENDING
    vendor_status = "1"
    product_title = "Classic T-Shirt"


class SideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomizationSide

    customization = factory.SubFactory(CustomizationFactory)
    external_id = factory.Sequence(lambda n: str(8000 + n))
    name = "Front"


class NodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DesignNode

    side = factory.SubFactory(SideFactory)
    position = factory.Sequence(lambda n: n)
    kind = DesignNode.Kind.TEXT
    text = "Hello"


class StoreOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreOrder

    connection = factory.SubFactory(VendorConnectionFactory)
    external_id = factory.Sequence(lambda n: str(4889333330000 + n))
    name = factory.Sequence(lambda n: f"#{3000 + n}")


class OrderLineFactory(factory.django.DjangoModelFactory):
    """A customization on a store order (the order of the customization's connection)."""

    class Meta:
        model = OrderLine

    customization = factory.SubFactory(CustomizationFactory)
    store_order = factory.SubFactory(StoreOrderFactory, connection=factory.SelfAttribute("..customization.connection"))
    quantity = 1


class SideArtworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SideArtwork

    side = factory.SubFactory(SideFactory)
    state = SideArtwork.State.PENDING


# -- fulfilment: the connection is always given (a fulfilment partner's, e.g. the `gateway` fixture)


class FulfilmentOrderFactory(factory.django.DjangoModelFactory):
    """A fulfilment order with a valid UK address; give `connection` (and `state`, `external_ref`)."""

    class Meta:
        model = FulfilmentOrder

    external_ref = factory.Sequence(lambda n: f"BO-{n + 1:06d}")
    shipping_address_1 = "1 Road"
    shipping_postcode = "SK10 2XR"
    shipping_country_code = "GB"


class VendorOrderFactory(factory.django.DjangoModelFactory):
    """The partner's side of a fulfilment order: same connection and reference as the order."""

    class Meta:
        model = VendorOrder

    connection = factory.SelfAttribute("fulfilment_order.connection")
    vendor_id = factory.Sequence(lambda n: str(9000 + n))
    external_ref = factory.SelfAttribute("fulfilment_order.external_ref")


class PushedOrderFactory(factory.django.DjangoModelFactory):
    """An order the partner pushed to us; give `connection`."""

    class Meta:
        model = PushedOrder

    vendor_id = factory.Sequence(lambda n: str(700 + n))


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(PushedOrderFactory)
    vendor_id = factory.Sequence(lambda n: str(n + 1))


class ShippingLabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingLabel

    shipment = factory.SubFactory(ShipmentFactory)


STAFF_PASSWORD = "correct horse battery staple"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or STAFF_PASSWORD)
        if create:
            self.save(update_fields=["password"])


def staff_in(role: str, *, username: str | None = None):
    """A staff user (never a superuser) in one of the role groups: Viewer, Reviewer, Manager."""
    from django.contrib.auth.models import Group

    user = StaffFactory(username=username) if username else StaffFactory()
    user.groups.add(Group.objects.get(name=role))
    assert not user.is_superuser
    return user


# -- operations' dashboard: sync runs, stock levels and status events


class SyncRunFactory(factory.django.DjangoModelFactory):
    """A finished sync run; give `connection` (and `status`, `started_at`, `finished_at`)."""

    class Meta:
        model = "orders.SyncRun"

    status = "succeeded"


class StockLevelFactory(factory.django.DjangoModelFactory):
    """A stock level; give `connection`."""

    class Meta:
        model = "fulfilment.StockLevel"

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    quantity_available = 10


class StatusEventFactory(factory.django.DjangoModelFactory):
    """A status the partner reported for `fulfilment_order`."""

    class Meta:
        model = "fulfilment.StatusEvent"

    dedupe_key = factory.Sequence(lambda n: f"event-{n}")
    effect = "apply"


# -- operations: automation rules


class AutomationRuleFactory(factory.django.DjangoModelFactory):
    """An enabled rule; `kind` auto_approve by default (auto_send ships to a UK address)."""

    class Meta:
        model = "operations.AutomationRule"

    name = factory.Sequence(lambda n: f"Rule {n}")
    kind = "auto_approve"
    enabled = True
    delay_minutes = 30
    ship_to_name = "Warehouse"
    ship_to_address_1 = "1 Dock Road"
    ship_to_city = "Macclesfield"
    ship_to_postcode = "SK10 2XR"
    ship_to_country_code = "GB"
