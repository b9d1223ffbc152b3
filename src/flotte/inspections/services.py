"""Inspections (état des lieux) by the booking's driver: a draft filled in
step by step (marks, readings, photos of each required angle), then
submitted, after which it never changes."""

from __future__ import annotations

import functools
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from flotte.accounts.models import User
from flotte.accounts.parameters import ParamContext
from flotte.accounts.selectors import managed_community_ids
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.inspections import params
from flotte.inspections.marks import marks_clean
from flotte.inspections.models import Inspection, Photo
from flotte.inspections.photos import photo_clean

# A check-in may be made from the booking's confirmation to the end of the
# trip; a check-out while the trip is under way.
OPEN_FOR = {
    Inspection.Kind.CHECK_IN: (Booking.State.CONFIRMED, Booking.State.STARTED),
    Inspection.Kind.CHECK_OUT: (Booking.State.STARTED,),
}
READINGS = ("energy_pct", "odometer_km", "cleanliness", "comment")


def required_angles(booking: Booking) -> list[str]:
    community = booking.community
    angles = ParamContext(community.organisation, community).value(params.PHOTO_ANGLES.key)
    return [str(a) for a in angles]


def inspections_visible_to(user: User) -> QuerySet[Inspection]:
    """The user's own inspections and those of the communities they manage."""
    return Inspection.objects.filter(
        Q(driver=user) | Q(booking__community_id__in=managed_community_ids(user))
    )


def _locked_draft(inspection: Inspection, actor: User) -> Inspection:
    locked = (
        Inspection.objects.select_for_update()
        .select_related("booking__community")
        .get(pk=inspection.pk)
    )
    if locked.driver_id != actor.pk:
        raise PermissionDenied("only the driver fills in the inspection", code="not_driver")
    if not locked.editable:
        raise Conflict("a submitted inspection cannot change", code="inspection_submitted")
    return locked


@transaction.atomic
def inspection_create(*, actor: User, booking: Booking, kind: str) -> Inspection:
    """Open the driver's draft inspection of this kind for the booking (the
    existing draft if there is one)."""
    if kind not in Inspection.Kind.values:
        raise ValidationFailed("kind is check_in or check_out", fields={"kind": "unknown"})
    booking = Booking.objects.select_for_update().select_related("community").get(pk=booking.pk)
    if booking.member_id != actor.pk:
        raise PermissionDenied("only the booking's driver inspects the vehicle", code="not_driver")
    existing = Inspection.objects.filter(booking=booking, kind=kind).first()
    if existing is not None:
        if existing.editable:
            return existing
        raise Conflict("this inspection is already submitted", code="inspection_submitted")
    if booking.state not in OPEN_FOR[Inspection.Kind(kind)]:
        raise Conflict(
            f"a {kind.replace('_', '-')} inspection cannot be made for a "
            f"{booking.get_state_display()} booking",
            code="inspection_closed",
        )
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(
                organisation_id=booking.organisation_id,
                booking=booking,
                vehicle_id=booking.vehicle_id,
                driver=actor,
                kind=kind,
                created_at=clock.now(),
            )
    except IntegrityError:
        raise Conflict("this inspection exists already", code="inspection_exists") from None
    audit("inspection.created", inspection, actor=actor, data={"kind": kind})
    return inspection


@transaction.atomic
def inspection_update(*, actor: User, inspection: Inspection, data: dict[str, Any]) -> Inspection:
    """The driver records marks and readings on the draft."""
    inspection = _locked_draft(inspection, actor)
    unknown = set(data) - {"marks", *READINGS}
    if unknown:
        raise ValidationFailed(f"unknown fields: {', '.join(sorted(unknown))}")
    if "marks" in data:
        inspection.marks = marks_clean(data["marks"])
    for name, low, high in (
        ("energy_pct", 0, 100),
        ("odometer_km", 0, 9_999_999),
        ("cleanliness", 1, 5),
    ):
        if name in data:
            value = data[name]
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high
            ):
                raise ValidationFailed(
                    f"{name} is a whole number from {low} to {high}", fields={name: "out of range"}
                )
            setattr(inspection, name, value)
    if "comment" in data:
        comment = (data["comment"] or "").strip()
        if len(comment) > 2000:
            raise ValidationFailed(
                "a comment of 2000 characters at most", fields={"comment": "too long"}
            )
        inspection.comment = comment
    inspection.save()
    return inspection


@transaction.atomic
def inspection_photo_add(
    *, actor: User, inspection: Inspection, angle: str, upload: UploadedFile
) -> Photo:
    """A photo of one angle of the vehicle; a new one replaces the angle's
    previous photo on the draft."""
    inspection = _locked_draft(inspection, actor)
    angles = required_angles(inspection.booking)
    angle = angle.strip()
    if angle not in angles and angle != "other":
        raise ValidationFailed(
            f"angle is one of {', '.join([*angles, 'other'])}", fields={"angle": "unknown"}
        )
    clean = photo_clean(upload)
    if angle != "other":
        for old in Photo.objects.filter(inspection=inspection, angle=angle):
            storage, name = old.image.storage, str(old.image.name)
            old.delete()
            transaction.on_commit(functools.partial(storage.delete, name))
    photo = Photo(
        organisation_id=inspection.organisation_id,
        inspection=inspection,
        angle=angle,
        width=clean.width,
        height=clean.height,
        size=clean.content.size,
        uploaded_by=actor,
        created_at=clock.now(),
    )
    photo.image.save("photo.jpg", clean.content, save=False)
    photo.save()
    return photo


def missing_angles(inspection: Inspection) -> list[str]:
    taken = set(Photo.objects.filter(inspection=inspection).values_list("angle", flat=True))
    return [a for a in required_angles(inspection.booking) if a not in taken]


@transaction.atomic
def inspection_submit(*, actor: User, inspection: Inspection) -> Inspection:
    """Submit the draft once every required angle has its photo and the
    readings are given; from then on it is immutable."""
    inspection = _locked_draft(inspection, actor)
    problems = {f"photo_{a}": "missing" for a in missing_angles(inspection)}
    for name in ("energy_pct", "odometer_km", "cleanliness"):
        if getattr(inspection, name) is None:
            problems[name] = "required"
    if problems:
        raise ValidationFailed(
            "the inspection is incomplete: " + ", ".join(sorted(problems)),
            code="inspection_incomplete",
            fields=problems,
        )
    inspection.state = Inspection.State.SUBMITTED
    inspection.submitted_at = clock.now()
    inspection.save(update_fields=["state", "submitted_at"])
    audit(
        "inspection.submitted",
        inspection,
        actor=actor,
        data={"kind": inspection.kind, "marks": len(inspection.marks)},
    )
    return inspection


def photo_of(inspection: Inspection, photo_id: int) -> Photo:
    photo = Photo.objects.filter(inspection=inspection, pk=photo_id).first()
    if photo is None:
        raise NotFound("no such photo")
    return photo
