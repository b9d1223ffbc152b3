"""Incident reports about a vehicle, their handling by a manager, and the
damage excess charged once for an incident or a check-out's new damage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet

from flotte.accounts.models import User
from flotte.accounts.parameters import ParamContext
from flotte.accounts.selectors import (
    is_operator,
    managed_community_ids,
    manages_organisation,
    require_manager_of_organisation,
)
from flotte.billing.amounts import LineInput
from flotte.billing.corrections import invoice_exceptional_create
from flotte.billing.models import Invoice, InvoiceLine
from flotte.booking.models import Booking, ManagerAlert
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.fleet.models import Vehicle
from flotte.inspections import params
from flotte.inspections.models import Incident, Inspection, Photo
from flotte.inspections.photos import photo_clean
from flotte.notify import hooks as notify_hooks

ALERT_KINDS = {
    Incident.Kind.DAMAGE: ManagerAlert.Kind.DAMAGE,
    Incident.Kind.ACCIDENT: ManagerAlert.Kind.ACCIDENT,
    Incident.Kind.BREAKDOWN: ManagerAlert.Kind.BREAKDOWN,
}
MAX_INCIDENT_PHOTOS = 10


def _is_manager(user: User, organisation_id: int) -> bool:
    return is_operator(user) or manages_organisation(user, organisation_id)


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    """The user's own reports and the incidents of the organisations they manage."""
    managed = Q(booking__community_id__in=managed_community_ids(user)) | Q(
        organisation__managers__user=user
    )
    return Incident.objects.filter(Q(reporter=user) | managed).distinct()


def reporting_booking(member: User, vehicle: Vehicle, booking: Booking | None) -> Booking:
    """The member's booking that allows a report on this vehicle: under way,
    or ended less than ``incident_report_days`` ago."""
    candidates = Booking.objects.filter(member=member, vehicle=vehicle).select_related(
        "community__organisation"
    )
    if booking is not None:
        candidates = candidates.filter(pk=booking.pk)
    now = clock.now()
    for candidate in candidates.filter(
        state__in=[Booking.State.STARTED, Booking.State.ENDED, Booking.State.CLOSED]
    ).order_by("-start")[:5]:
        if candidate.state == Booking.State.STARTED:
            return candidate
        community = candidate.community
        days = ParamContext(community.organisation, community).value(
            params.INCIDENT_REPORT_DAYS.key
        )
        if candidate.ended_at and now <= candidate.ended_at + dt.timedelta(days=days):
            return candidate
    raise PermissionDenied(
        "you can report an incident only about the vehicle of your trip, during it or "
        "shortly after",
        code="no_recent_booking",
    )


@transaction.atomic
def incident_report(
    *,
    actor: User,
    vehicle: Vehicle,
    kind: str,
    description: str,
    booking: Booking | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Incident:
    """A member (about their trip's vehicle) or a manager reports an
    incident; damage, accidents and breakdowns raise a manager alert."""
    if kind not in Incident.Kind.values:
        raise ValidationFailed(
            f"kind is one of {', '.join(Incident.Kind.values)}", fields={"kind": "unknown"}
        )
    description = description.strip()
    if not description or len(description) > 4000:
        raise ValidationFailed(
            "describe the incident (4000 characters at most)", fields={"description": "required"}
        )
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("give both latitude and longitude", fields={"latitude": "pair"})
    if (
        latitude is not None
        and longitude is not None
        and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise ValidationFailed("the position is out of range", fields={"latitude": "range"})
    if _is_manager(actor, vehicle.organisation_id):
        if booking is not None and booking.vehicle_id != vehicle.pk:
            raise ValidationFailed(
                "the booking is of another vehicle", fields={"booking_id": "vehicle"}
            )
    else:
        booking = reporting_booking(actor, vehicle, booking)
    incident = Incident.objects.create(
        organisation_id=vehicle.organisation_id,
        vehicle=vehicle,
        booking=booking,
        reporter=actor,
        kind=kind,
        description=description,
        latitude=latitude,
        longitude=longitude,
        created_at=clock.now(),
    )
    audit("incident.reported", incident, actor=actor, data={"kind": kind, "vehicle": vehicle.pk})
    notify_hooks.incident_reported(incident)
    alert_kind = ALERT_KINDS.get(Incident.Kind(kind))
    if alert_kind is not None:
        ManagerAlert.objects.create(
            organisation_id=vehicle.organisation_id,
            kind=alert_kind,
            vehicle=vehicle,
            message=f"{incident.get_kind_display()} reported on {vehicle.plate} "
            f"(incident {incident.pk})"[:300],
            created_at=incident.created_at,
        )
    return incident


@transaction.atomic
def incident_photo_add(*, actor: User, incident: Incident, upload: UploadedFile) -> Photo:
    """Its reporter adds a photo to an incident not yet resolved."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.reporter_id != actor.pk:
        raise PermissionDenied("only the reporter adds photos", code="not_reporter")
    if incident.state == Incident.State.RESOLVED:
        raise Conflict("the incident is resolved", code="incident_resolved")
    if Photo.objects.filter(incident=incident).count() >= MAX_INCIDENT_PHOTOS:
        raise ValidationFailed(f"at most {MAX_INCIDENT_PHOTOS} photos", code="too_many_photos")
    clean = photo_clean(upload)
    photo = Photo(
        organisation_id=incident.organisation_id,
        incident=incident,
        width=clean.width,
        height=clean.height,
        size=clean.content.size,
        uploaded_by=actor,
        created_at=clock.now(),
    )
    photo.image.save("photo.jpg", clean.content, save=False)
    photo.save()
    audit("incident.photo_added", incident, actor=actor, data={"photo": photo.pk})
    return photo


def _locked_for_manager(actor: User, incident: Incident) -> Incident:
    incident = (
        Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
    )
    require_manager_of_organisation(actor, incident.organisation)
    return incident


@transaction.atomic
def incident_acknowledge(*, actor: User, incident: Incident) -> Incident:
    incident = _locked_for_manager(actor, incident)
    if incident.state != Incident.State.OPEN:
        raise Conflict(f"the incident is {incident.state}", code="not_open")
    incident.state = Incident.State.ACKNOWLEDGED
    incident.acknowledged_at = clock.now()
    incident.handled_by = actor
    incident.save(update_fields=["state", "acknowledged_at", "handled_by"])
    audit("incident.acknowledged", incident, actor=actor)
    return incident


@transaction.atomic
def incident_resolve(*, actor: User, incident: Incident, resolution: str = "") -> Incident:
    """Close the incident (from open or acknowledged) and its manager alerts."""
    incident = _locked_for_manager(actor, incident)
    if incident.state == Incident.State.RESOLVED:
        raise Conflict("the incident is resolved already", code="resolved")
    now = clock.now()
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
    incident.state = Incident.State.RESOLVED
    incident.resolved_at = now
    incident.resolution = resolution.strip()[:2000]
    incident.handled_by = actor
    incident.save()
    ManagerAlert.objects.filter(
        organisation_id=incident.organisation_id,
        vehicle_id=incident.vehicle_id,
        kind__in=list(ALERT_KINDS.values()),
        message__endswith=f"(incident {incident.pk})",
        resolved_at=None,
    ).update(resolved_at=now)
    audit("incident.resolved", incident, actor=actor, data={"resolution": incident.resolution})
    return incident


def _damage_invoice(
    *, actor: User, organisation_id: int, buyer: User, amount: Decimal, label: str, reason: str
) -> Invoice:
    if amount <= 0:
        raise ValidationFailed("the excess must be positive", fields={"amount": "not positive"})
    from flotte.accounts.models import Organisation

    return invoice_exceptional_create(
        actor=actor,
        organisation=Organisation.objects.get(pk=organisation_id),
        buyer=buyer,
        lines=[LineInput(label=label, unit_price_incl_vat=amount, kind=InvoiceLine.Kind.DAMAGE)],
        reason=reason,
    )


@transaction.atomic
def incident_charge_excess(
    *, actor: User, incident: Incident, amount: Decimal, label: str = ""
) -> Incident:
    """Bill the damage excess of an incident to the booking's driver, once:
    an exceptional invoice with one DAMAGE line, linked to the incident."""
    incident = _locked_for_manager(actor, incident)
    if incident.invoice_id is not None:
        raise Conflict("the excess of this incident is charged already", code="already_charged")
    if incident.booking_id is None:
        raise Conflict("this incident is not linked to a booking's driver", code="no_driver")
    booking = Booking.objects.select_related("member", "vehicle").get(pk=incident.booking_id)
    incident.invoice = _damage_invoice(
        actor=actor,
        organisation_id=incident.organisation_id,
        buyer=booking.member,
        amount=amount,
        label=label or f"Franchise dommages – {booking.vehicle.plate} ({booking.start:%d/%m/%Y})",
        reason=f"Damage excess, incident {incident.pk}",
    )
    incident.save(update_fields=["invoice"])
    audit(
        "incident.excess_charged",
        incident,
        actor=actor,
        data={"invoice": incident.invoice.pk, "amount": str(amount)},
    )
    return incident


@transaction.atomic
def inspection_charge_excess(
    *, actor: User, inspection: Inspection, amount: Decimal, label: str = ""
) -> Inspection:
    """Bill the damage excess for new damage found at a submitted check-out,
    to its driver, once."""
    inspection = (
        Inspection.objects.select_for_update()
        .select_related("organisation", "driver", "vehicle", "booking")
        .get(pk=inspection.pk)
    )
    require_manager_of_organisation(actor, inspection.organisation)
    if inspection.kind != Inspection.Kind.CHECK_OUT or inspection.editable:
        raise Conflict("only a submitted check-out can be charged", code="not_chargeable")
    if inspection.invoice_id is not None:
        raise Conflict("the excess of this inspection is charged already", code="already_charged")
    inspection.invoice = _damage_invoice(
        actor=actor,
        organisation_id=inspection.organisation_id,
        buyer=inspection.driver,
        amount=amount,
        label=label
        or f"Franchise dommages – {inspection.vehicle.plate} ({inspection.booking.start:%d/%m/%Y})",
        reason=f"Damage excess, check-out inspection {inspection.pk}",
    )
    inspection.save(update_fields=["invoice"])
    audit(
        "inspection.excess_charged",
        inspection,
        actor=actor,
        data={"invoice": inspection.invoice.pk, "amount": str(amount)},
    )
    return inspection


def incident_photo_of(incident: Incident, photo_id: int) -> Photo:
    photo = Photo.objects.filter(incident=incident, pk=photo_id).first()
    if photo is None:
        raise NotFound("no such photo")
    return photo
