"""The damage history of a vehicle: the marks of its submitted inspections
and its damage and accident reports, newest first.

Each inspection's marks say whether they are new (see
:mod:`flotte.inspections.marks` for the proximity rule): a check-in is
compared with the vehicle's previous submitted check-out (the last driver's
return), or with the previous inspection of any kind when there is none; a
check-out with its booking's check-in, or else the previous inspection. The
first inspection of a vehicle has nothing to compare with: its marks are
all new."""

from __future__ import annotations

from typing import Any

from flotte.fleet.models import Vehicle
from flotte.inspections.marks import new_marks
from flotte.inspections.models import Incident, Inspection

DAMAGE_INCIDENTS = (Incident.Kind.DAMAGE, Incident.Kind.ACCIDENT)


def _baseline(inspection: Inspection, earlier: list[Inspection]) -> Inspection | None:
    """``earlier`` holds the vehicle's inspections submitted before, newest first."""
    if inspection.kind == Inspection.Kind.CHECK_IN:
        preferred = [i for i in earlier if i.kind == Inspection.Kind.CHECK_OUT]
    else:
        preferred = [i for i in earlier if i.booking_id == inspection.booking_id]
    candidates = preferred or earlier
    return candidates[0] if candidates else None


def damage_history(vehicle: Vehicle) -> list[dict[str, Any]]:
    inspections = list(
        Inspection.objects.filter(vehicle=vehicle, state=Inspection.State.SUBMITTED)
        .select_related("booking")
        .order_by("-submitted_at", "-pk")
    )
    entries: list[dict[str, Any]] = []
    for index, inspection in enumerate(inspections):
        baseline = _baseline(inspection, inspections[index + 1 :])
        fresh = set(new_marks(inspection.marks, baseline.marks if baseline else []))
        entries.append(
            {
                "source": "inspection",
                "id": inspection.pk,
                "kind": inspection.kind,
                "at": inspection.submitted_at,
                "booking_id": inspection.booking_id,
                "driver_id": inspection.driver_id,
                "compared_with": baseline.pk if baseline else None,
                "marks": [{**mark, "new": i in fresh} for i, mark in enumerate(inspection.marks)],
                "new_marks": len(fresh),
                "invoice_id": inspection.invoice_id,
                "description": inspection.comment,
                "state": inspection.state,
            }
        )
    for incident in Incident.objects.filter(vehicle=vehicle, kind__in=DAMAGE_INCIDENTS):
        entries.append(
            {
                "source": "incident",
                "id": incident.pk,
                "kind": incident.kind,
                "at": incident.created_at,
                "booking_id": incident.booking_id,
                "driver_id": incident.reporter_id,
                "compared_with": None,
                "marks": [],
                "new_marks": 0,
                "invoice_id": incident.invoice_id,
                "description": incident.description,
                "state": incident.state,
            }
        )
    entries.sort(key=lambda e: (e["at"], e["source"] == "incident", e["id"]), reverse=True)
    return entries
