"""What people may read of the boxes and the vehicles' state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet

from flotte.accounts.models import User
from flotte.accounts.selectors import is_operator, manages_organisation
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import NotFound, PermissionDenied
from flotte.fleet.models import Box, Vehicle
from flotte.telematics.commands import current_booking
from flotte.telematics.models import RejectedMessage, VehicleState
from flotte.telematics.supervision import box_health

STATE_FIELDS = (
    "odometer_km",
    "odometer_at",
    "energy_kind",
    "energy_pct",
    "range_km",
    "energy_at",
    "ignition",
    "locked",
    "doors_closed",
    "charging",
    "key_present",
    "immobilized",
)


def vehicle_state_for(actor: User, vehicle: Vehicle) -> dict[str, Any]:
    """The vehicle's latest state. Its managers also see the position, and
    each such reading is audited; the driver of the current booking sees the
    rest (energy, locks) of their car."""
    manager = is_operator(actor) or manages_organisation(actor, vehicle.organisation_id)
    if not manager and current_booking(actor, vehicle, clock.now()) is None:
        raise PermissionDenied("only the managers and the current driver see this vehicle's state")
    state = VehicleState.objects.filter(vehicle=vehicle).first()
    box = Box.objects.filter(vehicle=vehicle).first()
    if box is None:
        raise NotFound("this vehicle has no box", code="no_box")
    out: dict[str, Any] = {"vehicle_id": vehicle.pk, **box_health(box)}
    for name in STATE_FIELDS:
        out[name] = getattr(state, name) if state else None
    out["energy_kind"] = state.energy_kind if state else ""
    if manager and state is not None and state.latitude is not None:
        out.update(
            latitude=state.latitude, longitude=state.longitude, position_at=state.position_at
        )
        audit("position.viewed", vehicle, actor=actor, data={"position_at": str(state.position_at)})
    return out


def rejected_messages(actor: User) -> QuerySet[RejectedMessage]:
    if not is_operator(actor):
        raise PermissionDenied("only the operator sees the rejected box messages")
    return RejectedMessage.objects.all()


def rejected_summary(actor: User) -> dict[str, Any]:
    rows = rejected_messages(actor)
    by_reason = dict(rows.values_list("reason").annotate(n=Count("id")).values_list("reason", "n"))
    hour_ago = clock.now() - dt.timedelta(hours=1)
    return {
        "total": sum(by_reason.values()),
        "by_reason": by_reason,
        "last_hour": rows.filter(received_at__gte=hour_ago).count(),
    }
