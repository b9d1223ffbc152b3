"""A member's inspections and incident reports in their GDPR export and
erasure (see :mod:`flotte.accounts.privacy`). Runs inside that module's
cross-tenant scope and transaction.

Exported: every inspection they made and every incident they reported, with
the list of their photos (the images themselves are read through the
inspection and incident routes, which serve them to their author).

Kept on erasure: inspections, incidents and their photos are the
organisation's record of each vehicle's condition, on which a damage excess
or an insurance claim rests; they name the anonymised account from then on.
Erased: where an incident was reported (its position), which tells where the
person was; a position is no part of the vehicle's condition."""

from __future__ import annotations

from typing import Any

from flotte.accounts.models import User
from flotte.inspections.models import Incident, Inspection


def _photos(photos: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": p.pk,
            "angle": p.angle,
            "width": p.width,
            "height": p.height,
            "taken_at": p.created_at,
        }
        for p in photos
    ]


def inspection_data_export(user: User) -> dict[str, Any]:
    return {
        "inspections": [
            {
                "organisation": i.organisation.name,
                "booking_id": i.booking_id,
                "vehicle": i.vehicle.plate,
                "kind": i.kind,
                "state": i.state,
                "marks": i.marks,
                "energy_pct": i.energy_pct,
                "odometer_km": i.odometer_km,
                "cleanliness": i.cleanliness,
                "comment": i.comment,
                "created_at": i.created_at,
                "submitted_at": i.submitted_at,
                "photos": _photos(i.photos.all()),
            }
            for i in Inspection.objects.filter(driver=user)
            .select_related("organisation", "vehicle")
            .prefetch_related("photos")
            .order_by("created_at")
        ],
        "incidents": [
            {
                "organisation": i.organisation.name,
                "booking_id": i.booking_id,
                "vehicle": i.vehicle.plate,
                "kind": i.kind,
                "description": i.description,
                "position": None
                if i.latitude is None or i.longitude is None
                else {"latitude": float(i.latitude), "longitude": float(i.longitude)},
                "state": i.state,
                "resolution": i.resolution,
                "created_at": i.created_at,
                "resolved_at": i.resolved_at,
                "photos": _photos(i.photos.all()),
            }
            for i in Incident.objects.filter(reporter=user)
            .select_related("organisation", "vehicle")
            .prefetch_related("photos")
            .order_by("created_at")
        ],
    }


def inspection_data_erase(user: User) -> None:
    Incident.objects.filter(reporter=user).update(latitude=None, longitude=None)
