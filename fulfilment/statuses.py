"""The declared order of fulfilment statuses, and the one function that decides what a reported
status does to an order (the shape Saleor and django-fsm use). Decided on our statuses; each
partner maps its codes onto them (integrations/<vendor>/), and its own names word the notes.

Partners' callbacks carry no timestamp or sequence number, so a late or retried one can arrive
after a newer one. The rule:

- Progress statuses have a rank along the life of an order. An older one arriving after a newer
  one is LATE: kept in the timeline, never applied (Accepted after In production does not put an
  order back).
- Holds (Problem, On hold) can come at any point before a final status and are applied; a hold is
  lifted by a progress status at least as far along as the one before the hold.
- Final statuses: Shipped, Shipped (retailer notified), Cancelled. Shipped -> notified moves on.
  Cancelled after a shipment, or a shipment after Cancelled, is a CONFLICT: the first final status
  stands, the other is not applied and the order is flagged for staff to settle with the partner
  (goods that left the building are not "cancelled", and a cancelled order that ships needs a
  human).
- A status that is none of ours (the partner's "unknown", codes it does not document) is recorded
  and ignored.
- A repeat of a status already recorded for the same vendor order is a DUPLICATE (decided by the
  caller's dedupe key, even with other statuses between: accepted, in production, accepted).

Plain Python.
"""

from __future__ import annotations

from integrations.partners import FulfilmentStatus, VendorStatus

S = FulfilmentStatus
PROGRESS_RANK: dict[FulfilmentStatus, int] = {
    S.ACCEPTED: 10,
    S.ROUTED: 20,
    S.AT_SITE: 30,
    S.IN_PRODUCTION: 40,
    S.PACKED: 50,
    S.COLLECTED: 60,
    S.SHIPPED: 70,
    S.SHIPPED_CONFIRMED: 80,
}
HOLD_STATUSES = frozenset({S.PROBLEM, S.ON_HOLD})
SHIPPED_STATUSES = frozenset({S.SHIPPED, S.SHIPPED_CONFIRMED})
FINAL_STATUSES = SHIPPED_STATUSES | {S.CANCELLED}
KNOWN_STATUSES = frozenset(PROGRESS_RANK) | HOLD_STATUSES | {S.CANCELLED}


class StatusEffect:
    APPLY = "apply"
    LATE = "late"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    UNKNOWN = "unknown"


def status_decide(
    current: VendorStatus | None,
    incoming: VendorStatus,
    *,
    before_hold: VendorStatus | None = None,
    partner: str = "the partner",
) -> tuple[str, str]:
    """What to do with `incoming` for an order whose status is `current` (None: none yet).
    `before_hold` is the progress status the order had before its current hold, if it is on one.
    Returns (StatusEffect, a staff sentence)."""
    new = incoming.status
    if new not in KNOWN_STATUSES:
        return StatusEffect.UNKNOWN, f"ignored: {incoming.name} is not a status we act on"
    now = current.status if current is not None else None
    if current is None or now not in KNOWN_STATUSES or now == new:
        return StatusEffect.APPLY, "applied"
    if now in FINAL_STATUSES:
        if new in FINAL_STATUSES:
            if now in SHIPPED_STATUSES and new in SHIPPED_STATUSES:
                if PROGRESS_RANK[new] > PROGRESS_RANK[now]:
                    return StatusEffect.APPLY, "applied"
                return StatusEffect.LATE, f"ignored: older than current ({current.name})"
            return (
                StatusEffect.CONFLICT,
                f"conflict: {incoming.name} after {current.name}, not applied; "
                f"the order stays {current.name} until staff settle it with {partner}",
            )
        return StatusEffect.LATE, f"ignored: older than current ({current.name}, final)"
    if new in HOLD_STATUSES or new in FINAL_STATUSES:
        return StatusEffect.APPLY, "applied"
    # A progress status, on an order in progress or on hold.
    reference = before_hold if now in HOLD_STATUSES else current
    if reference is None or reference.status is None or PROGRESS_RANK.get(reference.status, 0) <= PROGRESS_RANK[new]:
        return StatusEffect.APPLY, "applied" if now not in HOLD_STATUSES else "applied (hold lifted)"
    return StatusEffect.LATE, f"ignored: older than current ({reference.name})"
