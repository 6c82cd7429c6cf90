"""The review queue's maintained flag (`Customization.awaiting_review`): it stays equal to the
queue's condition through syncs, re-screens, decisions, undo and connection changes; its data
migration sets it; next / previous walk the queue in order; the counts stop at the cap."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as global_apps
from django.urls import reverse

from integrations.qstomizer.sandbox import ANCHOR
from orders.models import Customization, DesignNode
from orders.selectors import CappedCount, count_capped, review_counts, review_neighbours, review_queue
from orders.services.bad_words import bad_words_save, customizations_screen
from orders.services.connections import connection_upsert
from orders.services.review import artwork_approve, artwork_reject, decision_undo
from orders.services.review_flag import awaiting_review_condition, awaiting_review_refresh
from orders.services.sync import customizations_sync
from tests.factories import CustomizationFactory, NodeFactory, SideFactory, VendorConnectionFactory, staff_in

Status = Customization.Status


def flags_right():
    """Every row's flag equals the condition evaluated by the database, and some are set."""
    expected = set(Customization.objects.filter(awaiting_review_condition()).values_list("pk", flat=True))
    flagged = set(Customization.objects.filter(awaiting_review=True).values_list("pk", flat=True))
    assert flagged == expected
    return flagged


def test_sync_sets_the_flag_and_a_status_change_moves_it(qstomizer_connection, sandbox):
    customizations_sync(connection=qstomizer_connection)
    flagged = flags_right()
    pending = {str(item.order_id) for item in sandbox.items if item.status_id == 7}
    assert pending and {c.external_id for c in Customization.objects.filter(pk__in=flagged)} == pending

    recent = max(sandbox.items, key=lambda item: item.created)
    was_pending = recent.status_id == 7
    qstomizer_connection.refresh_from_db()
    qstomizer_connection.synced_until = recent.created + timedelta(days=1)
    qstomizer_connection.save()
    sandbox.set_status(recent.order_id, 4 if was_pending else 7)
    customizations_sync(connection=qstomizer_connection)

    flags_right()
    assert Customization.objects.get(external_id=str(recent.order_id)).awaiting_review is not was_pending


def test_decisions_and_undo_move_the_flag(db):
    reviewer = staff_in("Reviewer")
    design = CustomizationFactory(status=Status.ARTWORK_APPROVAL_PENDING)
    other = CustomizationFactory(status=Status.ARTWORK_APPROVAL_PENDING)
    assert flags_right() == {design.pk, other.pk}

    artwork_approve(customization=design, user=reviewer)
    artwork_reject(customization=other, user=reviewer, reason="blurry")
    assert design.awaiting_review is False
    assert flags_right() == set()

    decision_undo(customization=design, user=reviewer, expected="approved")
    assert flags_right() == {design.pk}
    assert list(review_queue()) == [design]


def test_undo_of_a_design_the_queue_no_longer_wants_keeps_it_out(db):
    reviewer = staff_in("Reviewer")
    design = CustomizationFactory(status=Status.ARTWORK_APPROVAL_PENDING)
    artwork_approve(customization=design, user=reviewer)
    Customization.objects.filter(pk=design.pk).update(status=Status.FINISHED)  # the vendor moved on
    decision_undo(customization=design, user=reviewer)
    assert flags_right() == set()


def test_rescreen_moves_the_flag(db):
    design = CustomizationFactory(status=Status.FINISHED)
    NodeFactory(side=SideFactory(customization=design), kind=DesignNode.Kind.TEXT, text="you zorblax")
    bad_words_save(words=["zorblax"], is_active=True)
    customizations_screen()
    assert flags_right() == {design.pk}

    bad_words_save(words=["other"], is_active=True)
    customizations_screen()
    assert flags_right() == set()


def test_review_everything_switched_on_and_off(db):
    connection = VendorConnectionFactory(name="Shop")
    design = CustomizationFactory(connection=connection, status=Status.FINISHED)
    assert flags_right() == set()
    connection_upsert(name="Shop", kind=connection.kind, review_everything=True)
    assert flags_right() == {design.pk}
    connection_upsert(name="Shop", kind=connection.kind, review_everything=False)
    assert flags_right() == set()


def test_save_and_refresh_keep_it_in_step(db):
    design = CustomizationFactory(status=Status.FINISHED)
    design.status = Status.ARTWORK_APPROVAL_PENDING
    design.save(update_fields=["status"])
    assert flags_right() == {design.pk}
    Customization.objects.filter(pk=design.pk).update(has_bad_words=True, status=Status.FINISHED)
    assert awaiting_review_refresh([design.pk]) == 0  # still awaiting: bad words now
    Customization.objects.filter(pk=design.pk).update(has_bad_words=False)
    assert awaiting_review_refresh([design.pk]) == 1
    assert flags_right() == set()


def test_data_migration_sets_the_flag_on_existing_rows(db):
    everything = VendorConnectionFactory(review_everything=True)
    rows = [
        CustomizationFactory(status=Status.ARTWORK_APPROVAL_PENDING),
        CustomizationFactory(status=Status.FINISHED, has_bad_words=True),
        CustomizationFactory(connection=everything, status=Status.FINISHED),
        CustomizationFactory(status=Status.FINISHED),
        CustomizationFactory(status=Status.ARTWORK_APPROVAL_PENDING, decision="approved"),
    ]
    Customization.objects.update(awaiting_review=False)  # as the AddField leaves them
    migration = importlib.import_module("orders.migrations.0014_review_queue_flag")
    migration.flag_set(global_apps, None)
    assert flags_right() == {rows[0].pk, rows[1].pk, rows[2].pk}


def test_next_and_previous_walk_the_queue_in_order(db):
    day = datetime(2026, 3, 1, tzinfo=UTC)
    same = day + timedelta(hours=5)
    designs = [
        CustomizationFactory(status=Status.ARTWORK_APPROVAL_PENDING, customized_at=at)
        for at in (day, same, same, day + timedelta(days=2))
    ]
    CustomizationFactory(status=Status.FINISHED, customized_at=day + timedelta(days=1))  # not in the queue
    order = list(review_queue())
    assert order == sorted(designs, key=lambda c: (c.customized_at, c.pk))
    for i, design in enumerate(order):
        previous, following, position = review_neighbours(design)
        assert previous == (order[i - 1].pk if i else None)
        assert following == (order[i + 1].pk if i + 1 < len(order) else None)
        assert position == i + 1


def test_counts_stop_at_the_cap_and_say_so(db, monkeypatch, client):
    import orders.selectors as selectors

    rows = CustomizationFactory.create_batch(4, status=Status.ARTWORK_APPROVAL_PENDING)
    assert review_counts()["total"] == len(rows)  # exact under the cap
    assert count_capped(review_queue(), 4) == 4
    monkeypatch.setattr(selectors, "REVIEW_COUNT_CAP", 2)
    counts = review_counts()
    assert counts["total"] == CappedCount(2) and str(counts["total"]) == "2+"
    assert counts["approval_pending"] == CappedCount(2) and counts["bad_words"] == 0
    order = list(review_queue())
    assert review_neighbours(order[0])[2] == 1
    assert review_neighbours(order[1])[2] == 2
    assert str(review_neighbours(order[3])[2]) == "2+"

    client.force_login(staff_in("Reviewer"))
    page = client.get(reverse("admin:orders_reviewitem_changelist")).content.decode()
    assert "2+ awaiting a decision" in page and "(the oldest 2)" in page
    screen = client.get(reverse("admin:orders_reviewitem_review", args=[order[3].pk])).content.decode()
    assert "2+ of 2+ awaiting" in screen


@pytest.mark.parametrize("since", [None, ANCHOR - timedelta(days=400)])
def test_a_resync_with_no_change_changes_no_flag(qstomizer_connection, sandbox, since):
    customizations_sync(connection=qstomizer_connection, since=since)
    before = flags_right()
    customizations_sync(connection=qstomizer_connection, since=since)
    assert flags_right() == before


def test_a_written_batch_flags_what_the_queue_wants_and_keeps_decisions(db):
    """The writer sets the flag as it writes (on PostgreSQL in the same INSERT): a connection that
    reviews everything puts its new designs in the queue, a decided design stays out when it
    changes, and a batch written without screening keeps the bad words found before."""
    from integrations.sources import CustomizationRecord
    from orders.services.writer import Screened, customizations_write, existing_state

    connection = VendorConnectionFactory(review_everything=True)
    decided = CustomizationFactory(connection=connection, external_id="1", decision=Customization.Decision.APPROVED)
    flagged = CustomizationFactory(connection=connection, external_id="2", has_bad_words=True)
    connection.review_everything = False
    connection.save()
    flagged.refresh_from_db()
    assert flagged.awaiting_review and not decided.awaiting_review

    def records(*ids, status="pending"):
        return [CustomizationRecord(external_id=i, raw={"id": i, "status": status}, status=status) for i in ids]

    clean = Screened(has_bad_words=False, bad_words=[], screened_version=1)
    found = Screened(has_bad_words=True, bad_words=["damn"], screened_version=1)
    batch = records("1", "2", "3", status=Status.ARTWORK_APPROVAL_PENDING)
    screened = {"1": clean, "2": found, "3": clean}
    customizations_write(connection, batch, existing_state(connection, ["1", "2", "3"]), screened)
    assert flags_right() == {flagged.pk, Customization.objects.get(external_id="3").pk}

    # Unscreened: the stored bad words still hold the design in the queue once it is no longer pending.
    customizations_write(connection, records("2"), existing_state(connection, ["2"]))
    assert flags_right() == {flagged.pk, Customization.objects.get(external_id="3").pk}

    connection.review_everything = True
    connection.save()
    customizations_write(connection, records("4"), existing_state(connection, ["4"]), {"4": clean})
    assert Customization.objects.get(external_id="4").awaiting_review
    decided.refresh_from_db()
    assert decided.decision == Customization.Decision.APPROVED and not decided.awaiting_review
