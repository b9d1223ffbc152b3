"""Managing the fleet: stations, vehicles, boxes and badges."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from flotte.accounts.models import Community, Organisation, User, UserGroup
from flotte.accounts.organisations import full_clean_or_fail, save_unique
from flotte.accounts.selectors import (
    is_operator,
    manages_member,
    require_manager_of_organisation,
)
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import NotFound, PermissionDenied, ValidationFailed
from flotte.fleet.models import Badge, Box, Station, Vehicle
from flotte.telematics.provisioning import box_secret_hash, box_secret_matches


def _same_organisation(organisation: Organisation, objects: Iterable[Any], what: str) -> None:
    for obj in objects:
        if obj.organisation_id != organisation.pk:
            raise NotFound(f"no such {what} in this organisation")


def _set_fields(instance: Any, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


@transaction.atomic
def station_create(
    *, actor: User, organisation: Organisation, communities: Iterable[Community] = (), **fields: Any
) -> Station:
    require_manager_of_organisation(actor, organisation)
    communities = list(communities)
    _same_organisation(organisation, communities, "community")
    station = Station(organisation=organisation, **fields)
    _check_station(station)
    station.save()
    station.communities.set(communities)
    audit("station.created", station, actor=actor, data={"name": station.name})
    return station


def _check_station(station: Station) -> None:
    full_clean_or_fail(station, exclude=["organisation"])
    if station.charging_points > station.capacity:
        raise ValidationFailed(
            "a station cannot have more charging points than spaces",
            fields={"charging_points": "more than the capacity"},
        )


@transaction.atomic
def station_update(
    *, actor: User, station: Station, communities: Iterable[Community] | None = None, **fields: Any
) -> Station:
    require_manager_of_organisation(actor, station.organisation)
    _set_fields(station, fields)
    _check_station(station)
    station.save()
    if communities is not None:
        communities = list(communities)
        _same_organisation(station.organisation, communities, "community")
        station.communities.set(communities)
    audit("station.updated", station, actor=actor, data={"fields": sorted(fields)})
    return station


def _check_vehicle(vehicle: Vehicle) -> None:
    # Normalise before validating: the VIN validator wants upper case. A None
    # (an explicit null in a PATCH) is left to full_clean to refuse.
    if isinstance(vehicle.plate, str):
        vehicle.plate = vehicle.plate.strip().upper().replace(" ", "-")
    if isinstance(vehicle.vin, str):
        vehicle.vin = vehicle.vin.strip().upper()
    full_clean_or_fail(vehicle, exclude=["organisation", "home_station"])
    unknown = set(vehicle.accessories) - set(Vehicle.Accessory.values)
    if unknown:
        raise ValidationFailed(
            f"unknown accessories: {', '.join(sorted(unknown))}", fields={"accessories": "unknown"}
        )
    if vehicle.energy == Vehicle.Energy.ELECTRIC and vehicle.co2_g_km:
        raise ValidationFailed(
            "an electric vehicle emits no CO2 at the exhaust",
            fields={"co2_g_km": "must be 0 for an electric vehicle"},
        )


@transaction.atomic
def vehicle_create(
    *,
    actor: User,
    organisation: Organisation,
    home_station: Station,
    communities: Iterable[Community] = (),
    allowed_groups: Iterable[UserGroup] = (),
    **fields: Any,
) -> Vehicle:
    require_manager_of_organisation(actor, organisation)
    communities, allowed_groups = list(communities), list(allowed_groups)
    _same_organisation(organisation, [home_station], "station")
    _same_organisation(organisation, communities, "community")
    _same_organisation(organisation, allowed_groups, "group")
    vehicle = Vehicle(organisation=organisation, home_station=home_station, **fields)
    _check_vehicle(vehicle)
    save_unique(vehicle, "plate")
    vehicle.communities.set(communities)
    vehicle.allowed_groups.set(allowed_groups)
    audit("vehicle.created", vehicle, actor=actor, data={"plate": vehicle.plate})
    return vehicle


@transaction.atomic
def vehicle_update(
    *,
    actor: User,
    vehicle: Vehicle,
    home_station: Station | None = None,
    communities: Iterable[Community] | None = None,
    allowed_groups: Iterable[UserGroup] | None = None,
    **fields: Any,
) -> Vehicle:
    organisation = vehicle.organisation
    require_manager_of_organisation(actor, organisation)
    if "status" in fields:
        raise ValidationFailed("change the status with vehicle_set_status")
    if home_station is not None:
        _same_organisation(organisation, [home_station], "station")
        vehicle.home_station = home_station
    _set_fields(vehicle, fields)
    _check_vehicle(vehicle)
    save_unique(vehicle, "plate")
    if communities is not None:
        communities = list(communities)
        _same_organisation(organisation, communities, "community")
        vehicle.communities.set(communities)
    if allowed_groups is not None:
        allowed_groups = list(allowed_groups)
        _same_organisation(organisation, allowed_groups, "group")
        vehicle.allowed_groups.set(allowed_groups)
    audit("vehicle.updated", vehicle, actor=actor, data={"fields": sorted(fields)})
    return vehicle


@transaction.atomic
def vehicle_set_status(*, actor: User, vehicle: Vehicle, status: str, note: str = "") -> Vehicle:
    require_manager_of_organisation(actor, vehicle.organisation)
    if status not in Vehicle.Status.values:
        raise ValidationFailed(f"unknown status {status!r}", fields={"status": "unknown"})
    before = vehicle.status
    vehicle.status = status
    vehicle.status_note = note.strip()[:200]
    vehicle.save(update_fields=["status", "status_note"])
    audit(
        "vehicle.status_changed",
        vehicle,
        actor=actor,
        data={"from": before, "to": status, "note": vehicle.status_note},
    )
    return vehicle


@transaction.atomic
def box_provision(
    *, actor: User, box_id: str, vendor: str = "flotte", organisation: Organisation | None = None
) -> tuple[Box, str]:
    """Register a box and issue its MQTT password, returned once."""
    if not is_operator(actor):
        raise PermissionDenied("only the operator provisions boxes")
    secret = _new_box_secret()
    box = Box(
        box_id=box_id,
        vendor=vendor,
        organisation=organisation,
        secret_hash=box_secret_hash(secret),
        provisioned_at=clock.now(),
    )
    full_clean_or_fail(box, exclude=["secret_hash", "organisation", "vehicle"])
    save_unique(box, "box")
    audit("box.provisioned", box, actor=actor, data={"box_id": box_id, "vendor": vendor})
    return box, secret


def _new_box_secret() -> str:
    # 192 random bits, URL-safe so it fits any box's configuration file.
    return secrets.token_urlsafe(24)


def box_check_secret(box: Box, secret: str) -> bool:
    """Whether ``secret`` is the box's MQTT password. Checked the way the
    broker checks it (Mosquitto ``$7$``), so a box hashed the old way fails
    here as it would at the broker until its secret is rotated."""
    return box_secret_matches(box.secret_hash, secret)


@transaction.atomic
def box_secret_rotate(*, actor: User, box: Box) -> str:
    """Issue a new MQTT password for a box, returned once: when a secret
    leaked, a box is refurbished, or its hash predates the broker's format.
    The old secret keeps working at the broker until the operator rewrites
    the password file and reloads Mosquitto."""
    if not is_operator(actor):
        raise PermissionDenied("only the operator rotates box secrets")
    secret = _new_box_secret()
    box.secret_hash = box_secret_hash(secret)
    box.save(update_fields=["secret_hash"])
    audit("box.secret_rotated", box, actor=actor, data={"box_id": box.box_id})
    return secret


@transaction.atomic
def box_fit(*, actor: User, box: Box, vehicle: Vehicle | None) -> Box:
    """Fit a box to a vehicle of its organisation, or take it out (None)."""
    if box.organisation_id is None:
        if not is_operator(actor):
            raise PermissionDenied("this box is not assigned to your organisation yet")
        if vehicle is not None:
            box.organisation = vehicle.organisation
    else:
        require_manager_of_organisation(actor, box.organisation)  # type: ignore[arg-type]
        if vehicle is not None and vehicle.organisation_id != box.organisation_id:
            raise NotFound("no such vehicle in this organisation")
    if vehicle is not None:
        for previous in Box.objects.filter(vehicle=vehicle).exclude(pk=box.pk):
            previous.vehicle = None
            previous.save(update_fields=["vehicle"])
            audit(
                "box.removed",
                previous,
                actor=actor,
                data={"from_vehicle": vehicle.pk, "replaced_by": box.box_id},
            )
    before = box.vehicle_id
    box.vehicle = vehicle
    box.save()
    audit(
        "box.fitted",
        box,
        actor=actor,
        data={"from_vehicle": before, "to_vehicle": vehicle.pk if vehicle else None},
    )
    return box


def _normalise_uid(uid: str) -> str:
    return uid.replace(":", "").replace(" ", "").upper()


@transaction.atomic
def badge_issue(
    *, actor: User, organisation: Organisation, uid: str, user: User | None, label: str = ""
) -> Badge:
    require_manager_of_organisation(actor, organisation)
    if user is not None and not manages_member(actor, organisation.pk, user):
        raise NotFound("no such member in this organisation")
    badge = Badge(
        organisation=organisation,
        uid=_normalise_uid(uid),
        user=user,
        label=label.strip(),
        issued_at=clock.now(),
    )
    full_clean_or_fail(badge, exclude=["organisation", "user"])
    save_unique(badge, "badge")
    audit(
        "badge.issued",
        badge,
        actor=actor,
        data={"uid": badge.uid, "user": user.pk if user else None},
    )
    _badge_access_changed(badge)
    return badge


def _badge_access_changed(badge: Badge) -> None:
    """A member's badges changed: the boxes of the vehicles they booked get
    a new access list after commit (a lost badge must stop opening cars)."""
    if badge.user_id is not None:
        from flotte.telematics.access import member_access_changed

        member_access_changed(badge.user_id, badge.organisation_id)


@transaction.atomic
def badge_deactivate(*, actor: User, badge: Badge, reason: str = "") -> Badge:
    require_manager_of_organisation(actor, badge.organisation)
    if not badge.active:
        raise ValidationFailed("this badge is already deactivated", code="already_inactive")
    badge.active = False
    badge.deactivated_at = clock.now()
    badge.save(update_fields=["active", "deactivated_at"])
    audit("badge.deactivated", badge, actor=actor, data={"reason": reason})
    _badge_access_changed(badge)
    return badge
