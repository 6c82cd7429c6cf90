"""Alerts: open an incident when something goes wrong, alert the staff who asked for its kind once,
and resolve it when the thing recovers.

- `incident_raise` opens one (queuing its delivery) or, when one is open for the key, counts the
  occurrence and alerts nobody. The partial unique constraint decides, not a check-then-insert.
- `incident_resolve` closes the open one of a key; a new failure after that is a new incident.
- The `*_check` functions say, from what the models hold now, whether one thing is failing
  (a Problem), healthy (None) or in between (IN_BETWEEN: being retried; the incident stays as it
  is). The signal receivers (operations/alerts.py) call them for one thing as it changes; the
  periodic sweep (`incidents_sweep`) for everything, so nothing missed stays unnoticed.
- `incident_deliver` (a task) sends the e-mails and the chat post; each channel once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from config.celery import queue_on_commit
from fulfilment.models import FulfilmentOrder, PartnerPrintFile, StatusEvent, StockLevel
from orders.models import SideArtwork, SyncRun, VendorConnection
from orders.text import counted

from ..alerts_models import AlertKind, AlertPreference, Incident

logger = logging.getLogger(__name__)

DELIVER_TASK = "operations.tasks.alert_deliver_task"
SWEEP_TASK = "operations.tasks.alerts_sweep_task"
# The words the artwork service records when the vendor's monthly HD quota is spent.
HD_QUOTA_ERROR = "Monthly HD quota reached"
# Problem statuses and states of a fulfilment order (besides a status conflict).
PROBLEM_STATES = ("failed", "check")
PROBLEM_STATUS = "problem"
FINAL_STATUSES = ("shipped", "shipped_confirmed", "cancelled")
# How many new incidents one sweep opens at most: a storm is cut short, the rest come next time.
SWEEP_OPEN_MAX = 200
# The sweep's backstop for the kinds the signals raise looks at things that failed this recently
# (older failures were alerted when they happened, or predate alerts: no storm on the first run).
SWEEP_BACKSTOP = timedelta(hours=24)


@dataclass(frozen=True)
class Problem:
    kind: str
    key: str
    title: str
    detail: str = ""
    action: str = ""
    path: str = ""


IN_BETWEEN = object()  # neither failing nor recovered: an open incident stays open, none opens


# --- incidents ---------------------------------------------------------------------------------


def incident_raise(problem: Problem) -> Incident | None:
    """Open an incident for `problem` and queue its alert; or, when one is open for its key, count
    this occurrence on it. Returns the new incident, or None when it was already open."""
    key = problem.key[:200]
    # Twice at most: the open incident we collided with may be resolved before we count on it.
    for _attempt in range(2):
        try:
            with transaction.atomic():
                incident = Incident.objects.create(
                    kind=problem.kind,
                    key=key,
                    title=problem.title[:255],
                    detail=problem.detail[:4000],
                    action=problem.action[:2000],
                    path=problem.path[:500],
                )
        except IntegrityError:
            counted = (
                Incident.objects.open()
                .filter(key=key)
                .update(last_seen_at=timezone.now(), occurrences=F("occurrences") + 1, detail=problem.detail[:4000])
            )
            if counted:
                return None
            continue
        logger.info("incident %s opened: %s", incident.pk, incident.key)
        queue_on_commit(DELIVER_TASK, incident.pk)
        return incident
    return None


def incident_resolve(key: str) -> bool:
    """The thing recovered: its open incident (if any) is resolved."""
    resolved = Incident.objects.open().filter(key=key[:200]).update(resolved_at=timezone.now())
    if resolved:
        logger.info("incident %s resolved", key)
    return bool(resolved)


def incident_apply(key: str, state: Problem | None | object) -> None:
    """Apply one check's answer for `key`: raise a problem, resolve on None, leave IN_BETWEEN alone."""
    if isinstance(state, Problem):
        incident_raise(state)
    elif state is None:
        incident_resolve(key)


# --- what is failing now, one thing at a time ------------------------------------------------------


def _admin(name: str, *args: Any) -> str:
    return reverse(f"admin:{name}", args=args)


def sync_key(connection_id: int) -> str:
    return f"{AlertKind.SYNC_FAILED}:conn:{connection_id}"


def sync_check(run: SyncRun) -> Problem | None | object:
    if run.status == SyncRun.Status.SUCCEEDED:
        return None
    if run.status != SyncRun.Status.FAILED:
        return IN_BETWEEN
    connection = run.connection
    errors = run.errors or []
    last = errors[-1] if errors else run.note
    if isinstance(last, dict):
        last = last.get("message") or last.get("error") or str(last)
    return Problem(
        kind=AlertKind.SYNC_FAILED,
        key=sync_key(connection.pk),
        title=f"Sync of {connection.name} failed",
        detail=str(last or "No reason was recorded.")[:2000],
        action=(
            "Open the sync run to read why. If the vendor was down, the next scheduled sync tries again; "
            "if its credentials or settings are wrong, fix the connection and press Sync now."
        ),
        path=_admin("orders_syncrun_change", run.pk),
    )


def artwork_key(artwork_id: int) -> str:
    return f"{AlertKind.PRINT_FILE_FAILED}:artwork:{artwork_id}"


def artwork_check(artwork: SideArtwork) -> Problem | None | object:
    if artwork.state in (SideArtwork.State.READY, SideArtwork.State.NEEDS_ATTENTION):
        return None
    if artwork.state != SideArtwork.State.FAILED or artwork.error.startswith(HD_QUOTA_ERROR):
        # Retrying, or failed for the quota (one HD-quota incident per connection says that).
        return IN_BETWEEN if artwork.state != SideArtwork.State.FAILED else None
    return Problem(
        kind=AlertKind.PRINT_FILE_FAILED,
        key=artwork_key(artwork.pk),
        title=f"Print file download failed: {artwork.side}",
        detail=artwork.error[:2000],
        action="Open the artwork to read why; once the vendor has the file, press Retry.",
        path=_admin("orders_sideartwork_change", artwork.pk),
    )


def partner_file_key(print_file_id: int) -> str:
    return f"{AlertKind.PRINT_FILE_FAILED}:partner:{print_file_id}"


def partner_file_check(print_file: PartnerPrintFile) -> Problem | None | object:
    if print_file.state == PartnerPrintFile.State.READY:
        return None
    if print_file.state != PartnerPrintFile.State.FAILED:
        return IN_BETWEEN
    return Problem(
        kind=AlertKind.PRINT_FILE_FAILED,
        key=partner_file_key(print_file.pk),
        title=f"Partner print file failed: {print_file.store_item_id} of order {print_file.order}",
        detail=print_file.error[:2000],
        action="Open the print file to read why; fix the item's artwork at the partner, then press Retry.",
        path=_admin("fulfilment_partnerprintfile_change", print_file.pk),
    )


def order_key(order_id: int) -> str:
    return f"{AlertKind.ORDER_PROBLEM}:fo:{order_id}"


def order_problem_q() -> Q:
    return (
        Q(state__in=PROBLEM_STATES)
        | ~Q(status_conflict="")
        | Q(state="sent", status=PROBLEM_STATUS)
        | Q(state="sent", has_error=True, status__in=["", PROBLEM_STATUS])
    )


def order_healthy_q() -> Q:
    return Q(state__in=["sent", "discarded"]) & ~order_problem_q()


def _order_problem_words(order: FulfilmentOrder) -> tuple[str, str, str]:
    if order.status_conflict:
        return (
            "has conflicting statuses",
            order.status_conflict.splitlines()[-1],
            "Settle it with the partner (which status is true), then act on the order.",
        )
    if order.state == "failed":
        return (
            "failed to send",
            order.last_error,
            "Read why on the order, fix it (address, items, the connection), then Send it again.",
        )
    if order.state == "check":
        return (
            "needs a check: did the partner get it?",
            order.last_error,
            "The partner is being asked; if it does not say, look it up there and press Confirm sent or Send again.",
        )
    return (
        f"is queried by the partner ({order.vendor_status_name or order.status})",
        order.error_message or order.vendor_status_name,
        "Read the partner's query on the order and answer it at the partner (the address, a file).",
    )


def order_check(order: FulfilmentOrder) -> Problem | None | object:
    if FulfilmentOrder.objects.filter(pk=order.pk).filter(order_problem_q()).exists():
        what, detail, action = _order_problem_words(order)
        return Problem(
            kind=AlertKind.ORDER_PROBLEM,
            key=order_key(order.pk),
            title=f"Fulfilment order {order.external_ref} {what}",
            detail=(detail or "")[:2000],
            action=action,
            path=_admin("fulfilment_fulfilmentorder_change", order.pk),
        )
    if FulfilmentOrder.objects.filter(pk=order.pk).filter(order_healthy_q()).exists():
        return None
    return IN_BETWEEN


# --- the sweep: everything, every few minutes ------------------------------------------------------


def _late_q(today) -> Q:
    return Q(required_dispatch_date__lt=today) & ~Q(state="discarded") & ~Q(status__in=FINAL_STATUSES)


def _late(today) -> Iterator[Problem]:
    for order in FulfilmentOrder.objects.filter(_late_q(today)).only("pk", "external_ref", "required_dispatch_date"):
        yield Problem(
            kind=AlertKind.ORDER_LATE,
            key=f"{AlertKind.ORDER_LATE}:fo:{order.pk}",
            title=f"Fulfilment order {order.external_ref} is late: due to dispatch by {order.required_dispatch_date}",
            detail="It has not been reported shipped.",
            action="Ask the partner where it is; tell the customer if it will be later still.",
            path=_admin("fulfilment_fulfilmentorder_change", order.pk),
        )


def _no_callback(now) -> Iterator[Problem]:
    hours = settings.ALERT_NO_CALLBACK_HOURS
    since = now - timedelta(hours=hours)
    last_event = StatusEvent.objects.filter(fulfilment_order=OuterRef("pk")).values("fulfilment_order")
    orders = (
        FulfilmentOrder.objects.filter(state="sent", sent_at__lt=since)
        .exclude(status__in=FINAL_STATUSES)
        .annotate(last_event_at=Subquery(last_event.annotate(at=Max("received_at")).values("at")[:1]))
        .filter(Q(last_event_at__isnull=True) | Q(last_event_at__lt=since))
        .only("pk", "external_ref", "sent_at")
    )
    for order in orders:
        yield Problem(
            kind=AlertKind.NO_CALLBACK,
            key=f"{AlertKind.NO_CALLBACK}:fo:{order.pk}",
            title=f"No status from the partner for {order.external_ref} in {hours} hours",
            detail=f"Sent {timezone.localtime(order.sent_at):%Y-%m-%d %H:%M}; no status callback since.",
            action=(
                "Press Refresh on the order to ask the partner; if its callbacks never arrive, check the "
                "connection's hook URL at the partner."
            ),
            path=_admin("fulfilment_fulfilmentorder_change", order.pk),
        )


def _stock_low() -> Iterator[Problem]:
    levels = StockLevel.objects.filter(
        low_stock_threshold__isnull=False, quantity_available__lt=F("low_stock_threshold")
    ).select_related("connection")
    for level in levels:
        yield Problem(
            kind=AlertKind.STOCK_LOW,
            key=f"{AlertKind.STOCK_LOW}:{level.pk}",
            title=f"Stock low: {level.sku} at {level.connection.name} ({level.quantity_available} left)",
            detail=f"{level.quantity_available} available, below its threshold of {level.low_stock_threshold}.",
            action="Reorder it, or lower its threshold; push the new level once it is in.",
            path=_admin("fulfilment_stocklevel_change", level.pk),
        )


def _hd_quota() -> Iterator[Problem]:
    failed = SideArtwork.objects.filter(state=SideArtwork.State.FAILED, error__startswith=HD_QUOTA_ERROR)
    ids = failed.values_list("side__customization__connection", flat=True).distinct()
    for connection in VendorConnection.objects.filter(pk__in=ids):
        example = failed.filter(side__customization__connection=connection).order_by("-updated_at").first()
        count = failed.filter(side__customization__connection=connection).count()
        yield Problem(
            kind=AlertKind.HD_QUOTA,
            key=f"{AlertKind.HD_QUOTA}:conn:{connection.pk}",
            title=f"HD quota of {connection.name} reached",
            detail=f"{counted(count, 'print file')} could not be made. {example.error if example else ''}".strip(),
            action=(
                "Raise the plan's HD quota at the vendor, or wait until it resets; then retry the failed "
                "print files (Print files, filtered by Failed, Retry)."
            ),
            path=_admin("orders_sideartwork_changelist") + "?state__exact=failed",
        )


def _failed_syncs(recent) -> Iterator[tuple[str, Problem | None | object]]:
    latest = (
        SyncRun.objects.filter(connection=OuterRef("pk"))
        .exclude(status__in=[SyncRun.Status.RUNNING, SyncRun.Status.SKIPPED])
        .order_by("-started_at", "-id")
        .values("pk")[:1]
    )
    ids = (
        VendorConnection.objects.filter(is_active=True)
        .annotate(latest=Subquery(latest))
        .values_list("latest", flat=True)
    )
    runs = SyncRun.objects.filter(pk__in=[pk for pk in ids if pk]).select_related("connection")
    for run in runs.filter(Q(status=SyncRun.Status.SUCCEEDED) | Q(started_at__gte=recent)):
        yield sync_key(run.connection_id), sync_check(run)


def _keyed(problems: Iterable[Problem]) -> dict[str, Problem]:
    return {problem.key: problem for problem in problems}


def incidents_sweep(*, now=None) -> dict:
    """Look at everything: open an incident for each thing failing that has none (alerting once),
    note the ones still failing, and resolve those that recovered. Idempotent; run by beat."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # Kinds whose whole set of failing things is computed here: anything open of the kind and
    # not in the set has recovered.
    current: dict[str, dict[str, Problem]] = {
        AlertKind.ORDER_LATE: _keyed(_late(today)),
        AlertKind.NO_CALLBACK: _keyed(_no_callback(now)),
        AlertKind.STOCK_LOW: _keyed(_stock_low()),
        AlertKind.HD_QUOTA: _keyed(_hd_quota()),
    }
    # Kinds the signals keep up to date: each thing checked again, resolved only once healthy.
    recent = now - SWEEP_BACKSTOP
    answers: dict[str, Problem | None | object] = dict(_failed_syncs(recent))
    artworks = SideArtwork.objects.filter(state=SideArtwork.State.FAILED, updated_at__gte=recent)
    for artwork in artworks.select_related("side"):
        answers[artwork_key(artwork.pk)] = artwork_check(artwork)
    print_files = PartnerPrintFile.objects.filter(state=PartnerPrintFile.State.FAILED, updated_at__gte=recent)
    for print_file in print_files.select_related("order"):
        answers[partner_file_key(print_file.pk)] = partner_file_check(print_file)
    for order in FulfilmentOrder.objects.filter(order_problem_q(), updated_at__gte=recent):
        answers[order_key(order.pk)] = order_check(order)
    open_keys = dict(
        Incident.objects.open()
        .filter(kind__in=[AlertKind.SYNC_FAILED, AlertKind.PRINT_FILE_FAILED, AlertKind.ORDER_PROBLEM])
        .values_list("key", "path")
    )
    # An open incident of those kinds whose thing is not failing any more: look at it again.
    for key in set(open_keys) - set(answers):
        answers[key] = _recheck(key)

    summary = {"opened": 0, "resolved": 0, "still_open": 0}
    opened = 0
    failing: dict[str, Problem] = {}
    for problems in current.values():
        failing.update(problems)
    failing.update({key: state for key, state in answers.items() if isinstance(state, Problem)})
    already = set(Incident.objects.open().filter(key__in=list(failing)).values_list("key", flat=True))
    for key, problem in failing.items():
        if key in already:
            continue
        if opened >= SWEEP_OPEN_MAX:
            break
        if incident_raise(problem) is not None:
            opened += 1
    summary["opened"] = opened
    summary["still_open"] = Incident.objects.open().filter(key__in=list(already)).update(last_seen_at=now)
    for kind, problems in current.items():
        gone = Incident.objects.open().filter(kind=kind).exclude(key__in=list(problems))
        summary["resolved"] += gone.update(resolved_at=now)
    for key, state in answers.items():
        if state is None:
            summary["resolved"] += int(incident_resolve(key))
    return summary


def _recheck(key: str) -> Problem | None | object:
    """The state now of the thing behind an open incident's key (None: it is gone or healthy)."""
    kind, _, rest = key.partition(":")
    what, _, pk = rest.partition(":")
    if not pk.isdigit():
        return IN_BETWEEN
    if kind == AlertKind.SYNC_FAILED:
        run = (
            SyncRun.objects.filter(connection_id=int(pk))
            .exclude(status__in=[SyncRun.Status.RUNNING, SyncRun.Status.SKIPPED])
            .select_related("connection")
            .order_by("-started_at", "-id")
            .first()
        )
        return sync_check(run) if run else None
    if kind == AlertKind.PRINT_FILE_FAILED and what == "artwork":
        artwork = SideArtwork.objects.filter(pk=int(pk)).select_related("side").first()
        return artwork_check(artwork) if artwork else None
    if kind == AlertKind.PRINT_FILE_FAILED and what == "partner":
        print_file = PartnerPrintFile.objects.filter(pk=int(pk)).select_related("order").first()
        return partner_file_check(print_file) if print_file else None
    if kind == AlertKind.ORDER_PROBLEM:
        order = FulfilmentOrder.objects.filter(pk=int(pk)).first()
        return order_check(order) if order else None
    return IN_BETWEEN


# --- who gets what ---------------------------------------------------------------------------------


def alert_kinds() -> list[tuple[str, str]]:
    return list(AlertKind.choices)


def alert_preference_of(user) -> AlertPreference:
    preference, _ = AlertPreference.objects.get_or_create(user=user)
    return preference


def alert_preference_set(user, *, email_kinds: Iterable[str], chat_kinds: Iterable[str]) -> AlertPreference:
    """What this staff member gets; unknown kinds are dropped."""
    known = set(AlertKind.values)
    preference = alert_preference_of(user)
    preference.email_kinds = sorted(set(email_kinds) & known)
    preference.chat_kinds = sorted(set(chat_kinds) & known)
    preference.save()
    return preference


def _subscribers(kind: str) -> tuple[list[str], bool]:
    """The e-mail addresses of active staff who get `kind` by e-mail, and whether anyone wants it
    in the chat. A few rows (one per staff member), read whole: no JSON lookups (SQLite lacks them)."""
    emails, chat = [], False
    preferences = AlertPreference.objects.filter(user__is_active=True, user__is_staff=True).select_related("user")
    for preference in preferences:
        if kind in (preference.email_kinds or []) and preference.user.email:
            emails.append(preference.user.email)
        if kind in (preference.chat_kinds or []):
            chat = True
    return sorted(set(emails)), chat


# --- delivery --------------------------------------------------------------------------------------


class AlertDeliveryFailed(Exception):
    """A channel did not take the alert; worth trying again. Its message never has the URL."""


def incident_link(incident: Incident) -> str:
    return settings.BACKOFFICE_URL.rstrip("/") + incident.path if incident.path else settings.BACKOFFICE_URL


def incident_message(incident: Incident) -> tuple[str, str]:
    """Subject and body: what happened, where, and what to do."""
    subject = f"[Back office] {incident.get_kind_display()}: {incident.title}"[:250]
    lines = [
        incident.title,
        "",
        f"What happened: {incident.detail or incident.get_kind_display()}",
        f"Where: {incident_link(incident)}",
        f"What to do: {incident.action}",
        "",
        f"First seen {timezone.localtime(incident.opened_at):%Y-%m-%d %H:%M %Z}. You get this once for this "
        "incident; it closes by itself when the thing recovers.",
        f"Choose which alerts you get: {settings.BACKOFFICE_URL.rstrip('/')}{reverse('admin:operations_alertpreference_changelist')}",
    ]
    return subject, "\n".join(lines)


def _chat_text(incident: Incident) -> str:
    return (
        f"*{incident.get_kind_display()}*: {incident.title}\n"
        f"{incident.detail}\n"
        f"What to do: {incident.action}\n"
        f"<{incident_link(incident)}|Open in the back office>"
    )[:3000]


def incident_deliver(incident_id: int) -> dict:
    """Send one incident's alert: an e-mail to each staff member who chose its kind, and one chat
    post when anyone chose it there (and ALERT_CHAT_WEBHOOK_URL is set). Each channel once: a
    retry after one failed sends only what has not gone. Raises AlertDeliveryFailed (retried)."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return {"incident": incident_id, "missing": True}
    emails, chat = _subscribers(incident.kind)
    result = {"incident": incident.pk, "emailed": 0, "chatted": False}
    if incident.emailed_at is None:
        if emails:
            subject, body = incident_message(incident)
            messages = [EmailMessage(subject, body, settings.ALERT_FROM_EMAIL, [email]) for email in emails]
            try:
                get_connection(fail_silently=False).send_messages(messages)
            except OSError as exc:  # smtplib.SMTPException is an OSError
                logger.warning("alert e-mail for incident %s failed: %s", incident.pk, type(exc).__name__)
                raise AlertDeliveryFailed(f"e-mail for incident {incident.pk}: {type(exc).__name__}") from None
        Incident.objects.filter(pk=incident.pk).update(emailed_at=timezone.now(), emailed_to=len(emails))
        result["emailed"] = len(emails)
    url = settings.ALERT_CHAT_WEBHOOK_URL
    if incident.chatted_at is None and chat and url:
        chat_post(url, _chat_text(incident), incident_id=incident.pk)
        Incident.objects.filter(pk=incident.pk).update(chatted_at=timezone.now())
        result["chatted"] = True
    return result


def chat_post(url: str, text: str, *, incident_id: int) -> None:
    """POST a Slack-compatible message ({"text": ...}). The URL is a secret: it is never logged,
    and no error raised from here carries it."""
    try:
        response = requests.post(url, json={"text": text}, timeout=settings.ALERT_CHAT_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        logger.warning("chat alert for incident %s failed: %s", incident_id, type(exc).__name__)
        raise AlertDeliveryFailed(f"chat for incident {incident_id}: {type(exc).__name__}") from None
    if response.status_code >= 300:
        logger.warning("chat alert for incident %s failed: HTTP %s", incident_id, response.status_code)
        raise AlertDeliveryFailed(f"chat for incident {incident_id}: HTTP {response.status_code}")
