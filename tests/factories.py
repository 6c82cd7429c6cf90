import factory
from django.contrib.auth import get_user_model

from orders.models import Customization, CustomizationSide, DesignNode, VendorConnection


class VendorConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorConnection

    name = factory.Sequence(lambda n: f"Connection {n}")
    kind = VendorConnection.Kind.QSTOMIZER
    shop_domain = "mystore.myshopify.com"
    api_key = "k-" + "x" * 20
    sync_every_minutes = None


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
