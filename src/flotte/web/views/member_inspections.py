"""The member's inspections (check-in before the first unlock, check-out
before the end of the trip) and incident reports, and their photos. Views
parse, call flotte.inspections' services (those the REST router calls) and
render; every refusal is shown on the page it concerns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flotte.accounts.models import User
from flotte.booking.models import Booking
from flotte.core.errors import ServiceError
from flotte.inspections.incidents import (
    MAX_INCIDENT_PHOTOS,
    incident_photo_add,
    incident_photo_of,
    incident_report,
    incidents_visible_to,
)
from flotte.inspections.models import Incident, Inspection, Photo
from flotte.inspections.photos import photo_clean
from flotte.inspections.services import (
    OPEN_FOR,
    inspection_create,
    inspection_photo_add,
    inspection_submit,
    inspection_update,
    inspections_visible_to,
    missing_angles,
    photo_of,
    required_angles,
)
from flotte.web.errors import explain
from flotte.web.inspection_forms import (
    MARK_KIND_LABELS,
    OUTLINE_VIEW,
    ZONES,
    IncidentForm,
    MarkForm,
    ReadingsForm,
    angle_label,
    nearest_zone,
    photo_problem,
)
from flotte.web.inspection_steps import STEP_TITLES
from flotte.web.views.common import Member, member_booking, member_page

READING_NAMES = {
    "energy_pct": gettext_lazy("the fuel or battery level"),
    "odometer_km": gettext_lazy("the odometer"),
    "cleanliness": gettext_lazy("the cleanliness"),
}


def _kind(kind: str) -> Inspection.Kind:
    if kind not in Inspection.Kind.values:
        raise Http404
    return Inspection.Kind(kind)


def _existing(member: Member, booking: Booking, kind: str) -> Inspection | None:
    return Inspection.objects.filter(booking=booking, kind=kind, driver=member.user).first()


def _inspection_url(member: Member, booking: Booking, kind: str) -> Any:
    return redirect("web:inspection", slug=member.community.slug, booking_id=booking.pk, kind=kind)


def _incomplete(error: ServiceError) -> list[str]:
    """What a refused submission lacks, in words: the angles, then the readings."""
    missing = []
    for field in error.fields:
        if field.startswith("photo_"):
            missing.append(_("a photo of the %(angle)s") % {"angle": angle_label(field[6:])})
        elif field in READING_NAMES:
            missing.append(str(READING_NAMES[field]))
    return missing


def _render(
    request: HttpRequest,
    member: Member,
    booking: Booking,
    kind: Inspection.Kind,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    inspection = _existing(member, booking, kind)
    angles = required_angles(booking)
    photos: dict[str, Photo] = {}
    extras: list[Photo] = []
    marks: list[dict[str, Any]] = []
    readings: dict[str, Any] = {}
    if inspection is not None:
        for photo in inspection.photos.all():
            if photo.angle in angles:
                photos[photo.angle] = photo
            else:
                extras.append(photo)
        marks = [
            {
                **mark,
                "number": index + 1,
                "index": index,
                "where": nearest_zone(mark),
                "kind_label": MARK_KIND_LABELS.get(mark["kind"], mark["kind"]),
                "on_outline": mark["view"] == OUTLINE_VIEW,
                "cx": round(mark["x"] * 200, 1),
                "cy": round(mark["y"] * 400, 1),
            }
            for index, mark in enumerate(inspection.marks)
        ]
        readings = {name: getattr(inspection, name) for name in ReadingsForm.base_fields}
    missing = missing_angles(inspection) if inspection else angles
    context = {
        "booking": booking,
        "kind": kind.value,
        "title": STEP_TITLES[kind],
        "inspection": inspection,
        "editable": (inspection.editable if inspection else booking.state in OPEN_FOR[kind]),
        "angles": [
            {"name": a, "label": angle_label(a), "photo": photos.get(a), "field": f"photo_{a}"}
            for a in angles
        ],
        "extra_photos": extras,
        "missing": [angle_label(a) for a in missing],
        "marks": marks,
        "readings_form": ReadingsForm(initial=readings),
        "mark_form": MarkForm(),
        "zone_points": {name: [x, y] for name, (_label, x, y) in ZONES.items()},
        **extra,
    }
    return render(request, "web/inspection.html", member.context(**context), status=status)


def _draft(member: Member, booking: Booking, kind: Inspection.Kind) -> Inspection:
    """The member's draft of this kind, opened on their first change."""
    return inspection_create(actor=member.user, booking=booking, kind=kind.value)


@require_http_methods(["GET", "POST"])
@member_page
def inspection_page(
    request: HttpRequest, member: Member, booking_id: int, kind: str
) -> HttpResponse:
    """GET: the inspection, to fill in or to read once submitted.
    POST: the readings saved in the draft."""
    booking = member_booking(member, booking_id)
    inspection_kind = _kind(kind)
    if request.method == "GET":
        return _render(request, member, booking, inspection_kind)
    form = ReadingsForm(request.POST)
    if not form.is_valid():
        return _render(request, member, booking, inspection_kind, status=400, readings_form=form)
    try:
        inspection_update(
            actor=member.user,
            inspection=_draft(member, booking, inspection_kind),
            data=form.cleaned_data,
        )
    except ServiceError as error:
        return _refused(request, member, booking, inspection_kind, error, readings_form=form)
    messages.success(request, _("Saved."))
    return _inspection_url(member, booking, kind)


def _refused(
    request: HttpRequest,
    member: Member,
    booking: Booking,
    kind: Inspection.Kind,
    error: ServiceError,
    **extra: Any,
) -> HttpResponse:
    status = error.status if error.status != 404 else 400
    return _render(request, member, booking, kind, status=status, error=explain(error), **extra)


@require_POST
@member_page
def inspection_photos(
    request: HttpRequest, member: Member, booking_id: int, kind: str
) -> HttpResponse:
    """The photos of one or several angles, all taken or none: a bad file
    is said on its angle and nothing is kept."""
    booking = member_booking(member, booking_id)
    inspection_kind = _kind(kind)
    uploads: dict[str, UploadedFile] = {}
    for angle in required_angles(booking):
        upload = request.FILES.get(f"photo_{angle}")
        if upload is not None:
            uploads[angle] = upload
    if not uploads:
        return _render(
            request,
            member,
            booking,
            inspection_kind,
            status=400,
            photo_errors={"": _("Choose a photo first.")},
        )
    problems = _unreadable(uploads)
    if problems:
        return _render(request, member, booking, inspection_kind, status=400, photo_errors=problems)
    try:
        with transaction.atomic():
            inspection = _draft(member, booking, inspection_kind)
            for angle, upload in uploads.items():
                inspection_photo_add(
                    actor=member.user, inspection=inspection, angle=angle, upload=upload
                )
    except ServiceError as error:
        return _refused(request, member, booking, inspection_kind, error)
    messages.success(request, _("Photos saved."))
    return _inspection_url(member, booking, kind)


def _unreadable(uploads: dict[str, UploadedFile]) -> dict[str, str]:
    """The files the services would refuse, checked before any is kept
    (with the check they use), so that a bad one leaves nothing behind."""
    problems = {}
    for name, upload in uploads.items():
        try:
            photo_clean(upload)
        except ServiceError as error:
            problems[name] = photo_problem(error)
        finally:
            upload.seek(0)
    return problems


@require_POST
@member_page
def inspection_mark_add(
    request: HttpRequest, member: Member, booking_id: int, kind: str
) -> HttpResponse:
    booking = member_booking(member, booking_id)
    inspection_kind = _kind(kind)
    form = MarkForm(request.POST)
    if not form.is_valid():
        return _render(request, member, booking, inspection_kind, status=400, mark_form=form)
    try:
        inspection = _draft(member, booking, inspection_kind)
        inspection_update(
            actor=member.user,
            inspection=inspection,
            data={"marks": [*inspection.marks, form.mark()]},
        )
    except ServiceError as error:
        return _refused(request, member, booking, inspection_kind, error, mark_form=form)
    messages.success(request, _("Damage mark added."))
    return _inspection_url(member, booking, kind)


@require_POST
@member_page
def inspection_mark_remove(
    request: HttpRequest, member: Member, booking_id: int, kind: str, index: int
) -> HttpResponse:
    booking = member_booking(member, booking_id)
    inspection_kind = _kind(kind)
    inspection = _existing(member, booking, kind)
    if inspection is None or index >= len(inspection.marks):
        raise Http404
    marks = [m for i, m in enumerate(inspection.marks) if i != index]
    try:
        inspection_update(actor=member.user, inspection=inspection, data={"marks": marks})
    except ServiceError as error:
        return _refused(request, member, booking, inspection_kind, error)
    messages.success(request, _("Damage mark removed."))
    return _inspection_url(member, booking, kind)


@require_POST
@member_page
def inspection_submit_view(
    request: HttpRequest, member: Member, booking_id: int, kind: str
) -> HttpResponse:
    """Save the readings sent with it, then submit; when something is
    missing, name it (the angles by name)."""
    booking = member_booking(member, booking_id)
    inspection_kind = _kind(kind)
    form = ReadingsForm(request.POST)
    if not form.is_valid():
        return _render(request, member, booking, inspection_kind, status=400, readings_form=form)
    try:
        inspection = _draft(member, booking, inspection_kind)
        inspection = inspection_update(
            actor=member.user, inspection=inspection, data=form.cleaned_data
        )
        inspection_submit(actor=member.user, inspection=inspection)
    except ServiceError as error:
        if error.code == "inspection_incomplete":
            return _render(
                request,
                member,
                booking,
                inspection_kind,
                status=400,
                incomplete=_incomplete(error),
                readings_form=form,
            )
        return _refused(request, member, booking, inspection_kind, error, readings_form=form)
    messages.success(request, _("Your inspection is submitted. Thank you!"))
    return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)


# Incidents


def _render_incident(
    request: HttpRequest,
    member: Member,
    booking: Booking,
    form: IncidentForm,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {"booking": booking, "form": form, "max_photos": MAX_INCIDENT_PHOTOS, **extra}
    return render(request, "web/incident.html", member.context(**context), status=status)


@require_http_methods(["GET", "POST"])
@member_page
def incident_new(request: HttpRequest, member: Member, booking_id: int) -> HttpResponse:
    """Report an incident about the booking's vehicle, with photos: all of
    it is kept, or nothing when a photo is refused."""
    booking = member_booking(member, booking_id)
    if request.method == "GET":
        return _render_incident(request, member, booking, IncidentForm())
    form = IncidentForm(request.POST)
    files = request.FILES.getlist("photos")
    if not form.is_valid():
        return _render_incident(request, member, booking, form, status=400)
    if len(files) > MAX_INCIDENT_PHOTOS:
        return _render_incident(
            request,
            member,
            booking,
            form,
            status=400,
            photo_error=_("%(count)s photos at most.") % {"count": MAX_INCIDENT_PHOTOS},
        )
    problems = _unreadable({upload.name or str(i): upload for i, upload in enumerate(files)})
    if problems:
        text = "; ".join(f"{name}: {problem}" for name, problem in problems.items())
        return _render_incident(request, member, booking, form, status=400, photo_error=text)
    try:
        with transaction.atomic():
            incident = incident_report(
                actor=member.user,
                vehicle=booking.vehicle,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                booking=booking,
            )
            for upload in files:
                incident_photo_add(actor=member.user, incident=incident, upload=upload)
    except ServiceError as error:
        status = error.status if error.status != 404 else 400
        return _render_incident(request, member, booking, form, status=status, error=explain(error))
    messages.success(request, _("Your report is sent to the managers. Thank you!"))
    return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)


@require_POST
@member_page
def incident_photo(
    request: HttpRequest, member: Member, booking_id: int, incident_id: int
) -> HttpResponse:
    """One more photo of a report of this booking, by its reporter."""
    booking = member_booking(member, booking_id)
    incident = Incident.objects.filter(
        pk=incident_id, booking=booking, reporter=member.user
    ).first()
    if incident is None:
        raise Http404
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, _("Choose a photo first."))
        return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)
    try:
        incident_photo_add(actor=member.user, incident=incident, upload=upload)
    except ServiceError as error:
        text = photo_problem(error) if "file" in error.fields else explain(error)
        messages.error(request, text)
        return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)
    messages.success(request, _("Photo added to your report."))
    return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)


# Photos: to the member who took them and the organisation's managers only,
# as on the REST routes (the same visibility and lookups).


Report = TypeVar("Report", Inspection, Incident)


def _photo_response(photo: Photo) -> FileResponse:
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _photo_file(
    visible: QuerySet[Report], report_id: int, photo_id: int, photo: Callable[[Report, int], Photo]
) -> FileResponse:
    """A photo of one of the visible reports (an inspection or an incident),
    found by ``photo`` (the service's lookup); anything else is a 404."""
    report = visible.filter(pk=report_id).first()
    if report is None:
        raise Http404
    try:
        return _photo_response(photo(report, photo_id))
    except ServiceError:
        raise Http404 from None


@require_GET
@login_required
def inspection_photo_file(request: HttpRequest, inspection_id: int, photo_id: int) -> FileResponse:
    user = request.user
    assert isinstance(user, User)
    return _photo_file(inspections_visible_to(user), inspection_id, photo_id, photo_of)


@require_GET
@login_required
def incident_photo_file(request: HttpRequest, incident_id: int, photo_id: int) -> FileResponse:
    user = request.user
    assert isinstance(user, User)
    return _photo_file(incidents_visible_to(user), incident_id, photo_id, incident_photo_of)
