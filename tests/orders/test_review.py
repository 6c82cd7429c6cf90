"""Design review: the queue, decisions that are never applied twice, undo, and who may do what."""

import threading

import pytest
from django.db import connections
from django.urls import reverse

from orders.models import Customization, ReviewDecision, SideArtwork
from orders.selectors import review_counts, review_queue
from orders.services.review import AlreadyDecided, ReasonRequired, artwork_approve, artwork_reject, decision_undo
from tests.factories import CustomizationFactory, SideFactory, StaffFactory, VendorConnectionFactory, staff_in

Status = Customization.Status


@pytest.fixture
def queue(db):
    """Three designs waiting for three reasons, one not waiting, oldest first by customized_at."""
    from datetime import UTC, datetime

    everything = VendorConnectionFactory(review_everything=True)
    quiet = VendorConnectionFactory()
    return {
        "pending": CustomizationFactory(
            connection=quiet, status=Status.ARTWORK_APPROVAL_PENDING, customized_at=datetime(2026, 1, 3, tzinfo=UTC)
        ),
        "flagged": CustomizationFactory(
            connection=quiet, has_bad_words=True, bad_words=["damn"], customized_at=datetime(2026, 1, 1, tzinfo=UTC)
        ),
        "everything": CustomizationFactory(connection=everything, customized_at=datetime(2026, 1, 2, tzinfo=UTC)),
        "ignored": CustomizationFactory(connection=quiet, status=Status.FINISHED),
    }


def test_queue_holds_every_reason_oldest_first_with_counts(queue):
    assert list(review_queue()) == [queue["flagged"], queue["everything"], queue["pending"]]
    assert list(review_queue("bad_words")) == [queue["flagged"]]
    assert review_counts() == {"approval_pending": 1, "bad_words": 1, "review_everything": 1, "total": 3}


def test_approve_records_who_and_queues_every_side_for_print_files(queue, django_capture_on_commit_callbacks):
    reviewer = staff_in("Reviewer")
    design = queue["pending"]
    SideFactory(customization=design, design_hd_url="https://hd.test/1")
    SideFactory(customization=design, design_url="https://cdn.test/2.png")
    SideFactory(customization=design)  # no print source: nothing to fetch

    with django_capture_on_commit_callbacks(execute=False) as fetches:
        artwork_approve(customization=design, user=reviewer)

    design.refresh_from_db()
    assert (design.decision, design.decided_by) == ("approved", reviewer)
    assert design not in review_queue()
    assert SideArtwork.objects.filter(side__customization=design, state="pending").count() == 2
    assert len(fetches) == 3  # two fetches, and design_decided announced (orders.signals)
    record = ReviewDecision.objects.get()
    assert (record.action, record.user, record.previous) == ("approve", reviewer, "")


def test_reject_needs_a_reason(queue):
    with pytest.raises(ReasonRequired):
        artwork_reject(customization=queue["flagged"], user=None, reason="  ")
    assert not ReviewDecision.objects.exists()


def test_second_decision_is_refused_and_names_the_first(queue):
    first, second = staff_in("Reviewer"), staff_in("Reviewer")
    artwork_reject(customization=queue["flagged"], user=first, reason="Offensive or inappropriate text")

    with pytest.raises(AlreadyDecided, match=f"already rejected by {first.username}"):
        artwork_approve(customization=queue["flagged"], user=second)

    assert ReviewDecision.objects.count() == 1
    assert Customization.objects.get(pk=queue["flagged"].pk).decision == "rejected"


def test_undo_is_recorded_and_puts_the_design_back(queue):
    manager = staff_in("Manager")
    artwork_approve(customization=queue["everything"], user=staff_in("Reviewer"))

    with pytest.raises(AlreadyDecided):
        decision_undo(customization=queue["everything"], user=manager, expected="rejected")  # not what they saw
    decision_undo(customization=queue["everything"], user=manager, expected="approved")

    assert queue["everything"] in review_queue()
    assert list(ReviewDecision.objects.values_list("action", "previous")) == [("undo", "approved"), ("approve", "")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_one_decision(require_postgres):
    design = CustomizationFactory(status=Status.ARTWORK_APPROVAL_PENDING)
    reviewers = [staff_in("Reviewer"), staff_in("Reviewer")]
    outcomes, barrier = [], threading.Barrier(2)

    def decide(user, approve):
        try:
            barrier.wait()
            if approve:
                artwork_approve(customization=design, user=user)
            else:
                artwork_reject(customization=design, user=user, reason="Spelling or layout problem")
            outcomes.append("decided")
        except AlreadyDecided:
            outcomes.append("already decided")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(user, index == 0)) for index, user in enumerate(reviewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["already decided", "decided"]
    assert ReviewDecision.objects.count() == 1


# -- screens and roles -------------------------------------------------------------------------


def decide_url(customization):
    return reverse("admin:orders_reviewitem_decide", args=[customization.pk])


@pytest.mark.django_db
def test_roles_viewer_looks_reviewer_decides_manager_undoes(client, queue):
    design = queue["flagged"]
    screen = reverse("admin:orders_reviewitem_review", args=[design.pk])
    undo = reverse("admin:orders_reviewitem_undo", args=[design.pk])

    client.force_login(staff_in("Viewer"))
    assert client.get(screen).status_code == 200
    assert client.post(decide_url(design), {"decision": "approve"}).status_code == 403

    client.force_login(staff_in("Reviewer"))
    assert client.post(decide_url(design), {"decision": "approve"}).status_code == 302
    assert client.post(undo, {"expected": "approved"}).status_code == 403

    client.force_login(staff_in("Manager"))
    assert client.post(undo, {"expected": "approved"}).status_code == 302
    assert Customization.objects.get(pk=design.pk).decision == ""

    client.force_login(StaffFactory())  # staff with no role
    assert client.get(screen).status_code == 403


@pytest.mark.django_db
def test_only_managers_change_connection_settings(client):
    connection = VendorConnectionFactory()
    url = reverse("admin:orders_vendorconnection_change", args=[connection.pk])
    form = {
        "name": "Renamed",
        "kind": "qstomizer",
        "shop_domain": "s.myshopify.com",
        "lookback_days": 30,
        "detail_concurrency": 8,
        "is_active": "on",
    }

    client.force_login(staff_in("Reviewer"))
    assert client.post(url, form).status_code == 403
    client.force_login(staff_in("Manager"))
    assert client.post(url, form).status_code == 302
    connection.refresh_from_db()
    assert connection.name == "Renamed"


@pytest.mark.django_db
def test_htmx_decision_answers_with_the_next_design(client, queue):
    client.force_login(staff_in("Reviewer"))

    response = client.post(
        decide_url(queue["flagged"]),
        {"decision": "reject", "reason": "Offensive or inappropriate text"},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-customization="{queue["everything"].pk}"' in page  # the next one, oldest first
    assert "Rejected" in page and "Offensive or inappropriate text" in page
    assert response["HX-Push-Url"] == reverse("admin:orders_reviewitem_review", args=[queue["everything"].pk])


@pytest.mark.django_db
def test_a_decision_on_a_decided_design_says_who_decided(client, queue):
    artwork_approve(customization=queue["pending"], user=staff_in("Reviewer"))
    client.force_login(staff_in("Reviewer"))

    response = client.post(
        decide_url(queue["pending"]), {"decision": "reject", "reason": "x"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 409
    assert "already approved by" in response.content.decode()


@pytest.mark.django_db
def test_bulk_approve_and_reject_from_the_customization_list(client, queue):
    client.force_login(staff_in("Reviewer"))
    changelist = reverse("admin:orders_customization_changelist")
    ids = [queue["flagged"].pk, queue["pending"].pk]

    asked = client.post(changelist, {"action": "reject_selected", "_selected_action": ids})
    assert asked.status_code == 200 and "Reason" in asked.content.decode()
    client.post(
        changelist,
        {
            "action": "reject_selected",
            "_selected_action": ids,
            "apply": "1",
            "reason": "Copyrighted or trademarked content",
        },
    )
    client.post(changelist, {"action": "approve_selected", "_selected_action": [queue["everything"].pk, ids[0]]})

    decisions = dict(Customization.objects.filter(pk__in=[*ids, queue["everything"].pk]).values_list("pk", "decision"))
    assert decisions == {ids[0]: "rejected", ids[1]: "rejected", queue["everything"].pk: "approved"}
    assert ReviewDecision.objects.count() == 3  # the already-rejected one was not approved over


@pytest.mark.django_db
def test_managers_set_print_requirements_reviewers_cannot(client):
    url = reverse("admin:orders_printrequirement_add")
    form = {"template_id": "600103", "min_width": 1200, "min_height": 1200, "note": "stamp"}

    client.force_login(staff_in("Reviewer"))
    assert client.post(url, form).status_code == 403
    client.force_login(staff_in("Manager"))
    assert client.post(url, form).status_code == 302
