"""Notes and tags that staff put on the four things they follow: customizations, store orders,
fulfilment orders and pushed orders.

One nullable foreign key per kind, not a GenericForeignKey: the database then keeps what a note
is on (no note left pointing at a deleted order: it cascades with it; a check constraint says each
is on exactly one thing), the tag filter of each list is an indexed join, and there are only four
kinds, which is what the issue names. A fifth kind is one column and one line in TARGETS."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fulfilment.models import FulfilmentOrder, PushedOrder
from orders.models import Customization, StoreOrder

NOTE_MAX_LENGTH = 2000
TAG_MAX_LENGTH = 40

# The column of each kind: model -> field name on Note and Tagging.
TARGETS = {
    Customization: "customization",
    StoreOrder: "store_order",
    FulfilmentOrder: "fulfilment_order",
    PushedOrder: "pushed_order",
}


def _exactly_one_target(name: str) -> models.CheckConstraint:
    fields = list(TARGETS.values())
    condition = Q()
    for field in fields:
        one = Q(**{f"{field}__isnull": False}) & Q(**{f"{other}__isnull": True for other in fields if other != field})
        condition |= one
    return models.CheckConstraint(condition=condition, name=name)


class Attached(models.Model):
    """On exactly one of the four kinds."""

    customization = models.ForeignKey(Customization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    store_order = models.ForeignKey(StoreOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    fulfilment_order = models.ForeignKey(
        FulfilmentOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    pushed_order = models.ForeignKey(PushedOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    @property
    def target(self) -> models.Model | None:
        for field in TARGETS.values():
            value = getattr(self, field)
            if value is not None:
                return value
        return None


class Note(Attached):
    """A staff member's note on one thing: who, when, what (plain text, shown escaped)."""

    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [_exactly_one_target("note_on_exactly_one_thing")]

    def __str__(self):
        return f"Note by {self.author or 'someone'} at {self.created_at:%Y-%m-%d %H:%M}"


class Tag(models.Model):
    """A free but reusable tag (rush, vip, reprint): stored lower-case, so "VIP" and "vip" are one."""

    name = models.CharField(max_length=TAG_MAX_LENGTH, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Tagging(Attached):
    """A tag on one thing. Removing it keeps the row (removed_at, removed_by) so that the activity
    feed can say who added and who removed it; at most one live tagging per tag and thing."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="taggings")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            _exactly_one_target("tagging_on_exactly_one_thing"),
            *(
                models.UniqueConstraint(
                    fields=["tag", field], condition=Q(removed_at=None), name=f"one_live_tag_per_{field}"
                )
                for field in TARGETS.values()
            ),
        ]

    def __str__(self):
        return f"{self.tag} on {self.target}"
