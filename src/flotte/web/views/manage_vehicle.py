"""One vehicle in the console: its box and state, the latest commands with
their states, commands sent from the console, its status (maintenance, out
of service, back in service), adding and editing vehicles, and moving the
upcoming bookings of a vehicle taken out of service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flotte.booking.models import Booking, Transfer
from flotte.booking.transfers import vehicle_bulk_transfer
from flotte.core import clock
from flotte.core.errors import ServiceError
from flotte.fleet.models import Box, Vehicle
from flotte.fleet.services import box_fit, vehicle_create, vehicle_set_status, vehicle_update
from flotte.inspections.incidents import incident_report
from flotte.inspections.models import Incident, Inspection
from flotte.telematics.commands import command_issue
from flotte.telematics.models import Command
from flotte.telematics.selectors import vehicle_state_for
from flotte.web.errors import add_to_form, explain
from flotte.web.inspection_forms import IncidentForm
from flotte.web.manage_forms_fleet import (
    BoxFitForm,
    BulkTransferForm,
    CommandForm,
    VehicleForm,
    VehicleStatusForm,
)
from flotte.web.views.manage import Console, manager_page, refusal_status, submit


def _vehicle(console: Console, vehicle_id: int) -> Vehicle:
    vehicle = (
        Vehicle.objects.filter(organisation=console.organisation, pk=vehicle_id)
        .select_related("home_station", "organisation")
        .first()
    )
    if vehicle is None:
        raise Http404
    return vehicle


def _upcoming(vehicle: Vehicle) -> Any:
    """The bookings a bulk transfer moves (``vehicle_bulk_transfer``'s own)."""
    return (
        Booking.objects.filter(vehicle=vehicle, state=Booking.State.CONFIRMED, end__gt=clock.now())
        .select_related("member")
        .order_by("start")
    )


def _render_vehicle(
    request: HttpRequest,
    console: Console,
    vehicle: Vehicle,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    box = Box.objects.filter(vehicle=vehicle).first()
    state: dict[str, Any] | None = None
    if box is not None:
        try:
            # The REST state route's selector: positions to managers only,
            # and each reading audited.
            state = vehicle_state_for(console.user, vehicle)
        except ServiceError:
            state = None
    return render(
        request,
        "web/manage/vehicle.html",
        console.context(
            section="fleet",
            vehicle=vehicle,
            box=box,
            state=state,
            commands=Command.objects.filter(vehicle=vehicle)
            .select_related("requested_by")
            .order_by("-issued_at")[:20],
            command_kinds=Command.Kind.choices,
            upcoming=_upcoming(vehicle)[:50],
            transfers=Transfer.objects.filter(from_vehicle=vehicle)
            .select_related("to_vehicle", "booking")
            .order_by("-created_at")[:10],
            transfer_form=extra.pop("transfer_form", None) or BulkTransferForm(),
            box_form=extra.pop("box_form", None) or BoxFitForm(organisation=console.organisation),
            status_form=extra.pop("status_form", None)
            or VehicleStatusForm(initial={"status": vehicle.status}),
            incident_form=extra.pop("incident_form", None) or IncidentForm(),
            inspections=Inspection.objects.filter(
                vehicle=vehicle, state=Inspection.State.SUBMITTED
            ).count(),
            open_incidents=Incident.objects.filter(vehicle=vehicle)
            .exclude(state=Incident.State.RESOLVED)
            .count(),
            **extra,
        ),
        status=status,
    )


@manager_page
def vehicle_view(request: HttpRequest, console: Console, vehicle_id: int) -> HttpResponse:
    return _render_vehicle(request, console, _vehicle(console, vehicle_id))


@require_POST
@manager_page
def vehicle_command(request: HttpRequest, console: Console, vehicle_id: int) -> HttpResponse:
    """Send a command to the vehicle's box (``command_issue``: managers may
    send any command to their organisation's vehicles; audited there)."""
    vehicle = _vehicle(console, vehicle_id)
    form = CommandForm(request.POST)
    if not form.is_valid():
        return _render_vehicle(
            request, console, vehicle, status=400, error=_("Choose a command to send.")
        )
    try:
        command = command_issue(actor=console.user, vehicle=vehicle, kind=form.cleaned_data["kind"])
    except ServiceError as error:
        return _render_vehicle(
            request, console, vehicle, status=refusal_status(error), error=explain(error)
        )
    messages.success(
        request,
        _("Command “%(kind)s” sent to the box.") % {"kind": command.get_kind_display()},
    )
    return redirect("web:manage_vehicle", console.organisation.pk, vehicle.pk)


@require_POST
@manager_page
def vehicle_transfer(request: HttpRequest, console: Console, vehicle_id: int) -> HttpResponse:
    """Move every upcoming booking of the vehicle to an equivalent free one
    (``vehicle_bulk_transfer``); those that cannot move raise an alert."""
    vehicle = _vehicle(console, vehicle_id)
    form = BulkTransferForm(request.POST)
    if not form.is_valid():
        return _render_vehicle(request, console, vehicle, status=400, transfer_form=form)
    try:
        transfers = vehicle_bulk_transfer(actor=console.user, vehicle=vehicle)
    except ServiceError as error:
        return _render_vehicle(
            request, console, vehicle, status=refusal_status(error), error=explain(error)
        )
    moved = sum(1 for transfer in transfers if transfer.succeeded)
    messages.success(
        request,
        _("%(moved)s of %(total)s upcoming bookings moved; the others are in the alerts.")
        % {"moved": moved, "total": len(transfers)},
    )
    return redirect("web:manage_vehicle", console.organisation.pk, vehicle.pk)


@require_POST
@manager_page
def vehicle_status(request: HttpRequest, console: Console, vehicle_id: int) -> HttpResponse:
    """Take the vehicle into maintenance or out of service, or back into
    service (``vehicle_set_status``: the organisation's managers; audited)."""
    vehicle = _vehicle(console, vehicle_id)
    form = VehicleStatusForm(request.POST)
    changed, status = submit(
        form,
        lambda: vehicle_set_status(
            actor=console.user,
            vehicle=vehicle,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        ),
    )
    if changed is None:
        vehicle.refresh_from_db()
        return _render_vehicle(request, console, vehicle, status=status, status_form=form)
    messages.success(request, _("Status: %(status)s.") % {"status": vehicle.get_status_display()})
    return redirect("web:manage_vehicle", console.organisation.pk, vehicle.pk)


@require_POST
@manager_page
def vehicle_incident(request: HttpRequest, console: Console, vehicle_id: int) -> HttpResponse:
    """A manager reports an incident found on the vehicle, outside any trip
    (``incident_report``: damage, accidents and breakdowns alert the
    managers; audited)."""
    vehicle = _vehicle(console, vehicle_id)
    form = IncidentForm(request.POST)
    incident, status = submit(
        form,
        lambda: incident_report(
            actor=console.user,
            vehicle=vehicle,
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
        ),
    )
    if incident is None:
        return _render_vehicle(request, console, vehicle, status=status, incident_form=form)
    return redirect("web:manage_incident", console.organisation.pk, incident.pk)


def _render_form(
    request: HttpRequest,
    console: Console,
    form: VehicleForm,
    vehicle: Vehicle | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/manage/vehicle_form.html",
        console.context(section="fleet", form=form, vehicle=vehicle),
        status=status,
    )


@manager_page
def vehicle_new(request: HttpRequest, console: Console) -> HttpResponse:
    """Add a vehicle to the organisation (``vehicle_create``)."""
    org = console.organisation
    if request.method != "POST":
        return _render_form(request, console, VehicleForm(organisation=org), None)
    form = VehicleForm(request.POST, organisation=org)
    vehicle, status = submit(
        form,
        lambda: vehicle_create(actor=console.user, organisation=org, **form.service_fields()),
    )
    if vehicle is None:
        return _render_form(request, console, form, None, status=status)
    messages.success(request, _("Vehicle %(plate)s added.") % {"plate": vehicle.plate})
    return redirect("web:manage_vehicle", org.pk, vehicle.pk)


@manager_page
def vehicle_edit(request: HttpRequest, console: Console, vehicle_id: int) -> HttpResponse:
    """Change a vehicle's details (``vehicle_update``); its status has its
    own form on the vehicle's page."""
    vehicle = _vehicle(console, vehicle_id)
    org = console.organisation
    if request.method != "POST":
        form = VehicleForm(initial=VehicleForm.initial_for(vehicle), organisation=org)
        return _render_form(request, console, form, vehicle)
    form = VehicleForm(request.POST, organisation=org)
    saved, status = submit(
        form,
        lambda: vehicle_update(actor=console.user, vehicle=vehicle, **form.service_fields()),
    )
    if saved is None:
        return _render_form(request, console, form, _vehicle(console, vehicle_id), status=status)
    messages.success(request, _("Vehicle %(plate)s saved.") % {"plate": vehicle.plate})
    return redirect("web:manage_vehicle", org.pk, vehicle.pk)


@require_POST
@manager_page
def vehicle_box_fit(request: HttpRequest, console: Console, vehicle_id: int) -> HttpResponse:
    """Fit one of the organisation's unfitted boxes (``box_fit``); a box
    already in the vehicle comes out."""
    vehicle = _vehicle(console, vehicle_id)
    form = BoxFitForm(request.POST, organisation=console.organisation)
    if not form.is_valid():
        return _render_vehicle(request, console, vehicle, status=400, box_form=form)
    try:
        box = box_fit(actor=console.user, box=form.cleaned_data["box"], vehicle=vehicle)
    except ServiceError as error:
        add_to_form(form, error)
        return _render_vehicle(
            request, console, vehicle, status=refusal_status(error), box_form=form
        )
    messages.success(request, _("Box %(box)s fitted.") % {"box": box.box_id})
    return redirect("web:manage_vehicle", console.organisation.pk, vehicle.pk)


@require_POST
@manager_page
def vehicle_box_remove(request: HttpRequest, console: Console, vehicle_id: int) -> HttpResponse:
    """Take the box out of the vehicle (``box_fit`` to no vehicle)."""
    vehicle = _vehicle(console, vehicle_id)
    box = Box.objects.filter(vehicle=vehicle).first()
    if box is None:
        return _render_vehicle(
            request, console, vehicle, status=400, error=_("This vehicle has no box.")
        )
    try:
        box_fit(actor=console.user, box=box, vehicle=None)
    except ServiceError as error:
        return _render_vehicle(
            request, console, vehicle, status=refusal_status(error), error=explain(error)
        )
    messages.success(request, _("Box %(box)s taken out.") % {"box": box.box_id})
    return redirect("web:manage_vehicle", console.organisation.pk, vehicle.pk)
