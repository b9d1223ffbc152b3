"""What a booking's page shows of its inspections and incident reports: the
check-in and check-out steps, whether a required one still holds back the
unlock or the end of the trip (asked of the gates themselves), and the
member's reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from flotte.accounts.models import User
from flotte.booking.models import Booking
from flotte.core.errors import ServiceError
from flotte.inspections.gates import check_in_gate, check_out_gate
from flotte.inspections.incidents import reporting_booking
from flotte.inspections.models import Incident, Inspection
from flotte.inspections.services import OPEN_FOR, missing_angles

STEP_TITLES = {
    Inspection.Kind.CHECK_IN: _("Check-in inspection"),
    Inspection.Kind.CHECK_OUT: _("Check-out inspection"),
}


def _held_back(gate: Callable[..., None], user: User, booking: Booking) -> bool:
    try:
        gate(actor=user, booking=booking)
    except ServiceError:
        return True
    return False


def inspection_steps(user: User, booking: Booking) -> dict[str, Any]:
    inspections = {i.kind: i for i in Inspection.objects.filter(booking=booking, driver=user)}
    steps = []
    for kind in (Inspection.Kind.CHECK_IN, Inspection.Kind.CHECK_OUT):
        inspection = inspections.get(kind)
        if inspection is None and booking.state not in OPEN_FOR[kind]:
            continue
        steps.append(
            {
                "kind": kind.value,
                "title": STEP_TITLES[kind],
                "inspection": inspection,
                "missing": missing_angles(inspection) if inspection and inspection.editable else [],
            }
        )
    try:
        reporting_booking(user, booking.vehicle, booking)
        can_report = True
    except ServiceError:
        can_report = False
    return {
        "inspection_steps": steps,
        "check_in_pending": _held_back(check_in_gate, user, booking),
        "check_out_pending": _held_back(check_out_gate, user, booking),
        "incidents": list(
            Incident.objects.filter(booking=booking, reporter=user).prefetch_related("photos")
        ),
        "can_report": can_report,
    }
