"""Inspections in the console: the list (by vehicle, kind, with or without
damage marks), an inspection with its photos and its marks on the car
outline, the damage excess of a check-out, and a vehicle's damage history."""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from flotte.accounts.selectors import manages_organisation
from flotte.api.routers.inspections import photo_response
from flotte.core.errors import NotFound
from flotte.fleet.models import Vehicle
from flotte.inspections.history import damage_history
from flotte.inspections.incidents import inspection_charge_excess
from flotte.inspections.models import Incident, Inspection
from flotte.inspections.services import photo_of
from flotte.web.damage_drawing import outline_marks
from flotte.web.manage_forms_fleet import ExcessForm, InspectionFilterForm
from flotte.web.views.manage import Console, charge_excess, manager_page


def _inspections(console: Console) -> QuerySet[Inspection]:
    """The inspections of the bookings of the communities this manager manages."""
    return Inspection.objects.filter(
        organisation=console.organisation, booking__community_id__in=console.community_ids
    ).select_related("vehicle", "driver", "booking", "invoice")


def _inspection(console: Console, inspection_id: int) -> Inspection:
    inspection = _inspections(console).filter(pk=inspection_id).first()
    if inspection is None:
        raise Http404
    return inspection


def _vehicles(console: Console) -> QuerySet[Vehicle]:
    return Vehicle.objects.filter(organisation=console.organisation).order_by("plate")


@manager_page
def inspections(request: HttpRequest, console: Console) -> HttpResponse:
    form = InspectionFilterForm(request.GET or None, vehicles=_vehicles(console))
    rows = _inspections(console)
    status = 200
    if form.is_bound:
        if form.is_valid():
            if form.cleaned_data["vehicle"]:
                rows = rows.filter(vehicle=form.cleaned_data["vehicle"])
            if form.cleaned_data["kind"]:
                rows = rows.filter(kind=form.cleaned_data["kind"])
            if form.cleaned_data["damage"] == "yes":
                rows = rows.exclude(marks=[])
            elif form.cleaned_data["damage"] == "no":
                rows = rows.filter(marks=[])
        else:
            status = 400
            rows = rows.none()
    page = Paginator(rows.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/manage/inspections.html",
        console.context(section="inspections", form=form, page=page, query=query.urlencode()),
        status=status,
    )


def _marks(inspection: Inspection) -> list[dict[str, Any]]:
    """The inspection's marks, each saying whether it is new (as the damage
    history compares them); a draft's marks are not compared yet."""
    if inspection.state == Inspection.State.SUBMITTED:
        for entry in damage_history(inspection.vehicle):
            if entry["source"] == "inspection" and entry["id"] == inspection.pk:
                return list(entry["marks"])
    return list(inspection.marks)


def _render_inspection(
    request: HttpRequest,
    console: Console,
    inspection: Inspection,
    status: int = 200,
    form: ExcessForm | None = None,
) -> HttpResponse:
    marks = _marks(inspection)
    chargeable = (
        inspection.kind == Inspection.Kind.CHECK_OUT
        and inspection.state == Inspection.State.SUBMITTED
        and inspection.invoice_id is None
    )
    return render(
        request,
        "web/manage/inspection.html",
        console.context(
            section="inspections",
            inspection=inspection,
            photos=inspection.photos.all(),
            marks=outline_marks(marks),
            new_marks=sum(1 for mark in marks if mark.get("new")),
            chargeable=chargeable,
            excess_form=form or ExcessForm(),
        ),
        status=status,
    )


@manager_page
def inspection_view(request: HttpRequest, console: Console, inspection_id: int) -> HttpResponse:
    return _render_inspection(request, console, _inspection(console, inspection_id))


@manager_page
def inspection_photo(
    request: HttpRequest, console: Console, inspection_id: int, photo_id: int
) -> FileResponse:
    """A photo of the inspection, to its managers only (never a public file)."""
    try:
        return photo_response(photo_of(_inspection(console, inspection_id), photo_id))
    except NotFound:
        raise Http404 from None


@require_POST
@manager_page
def inspection_charge(request: HttpRequest, console: Console, inspection_id: int) -> HttpResponse:
    """Bill the damage excess of a check-out to its driver, once
    (``inspection_charge_excess``: an issued invoice, audited)."""
    inspection = _inspection(console, inspection_id)
    form = ExcessForm(request.POST)
    charge = functools.partial(inspection_charge_excess, actor=console.user, inspection=inspection)
    status = charge_excess(request, form, charge)
    if status is None:
        return redirect("web:manage_inspection", console.organisation.pk, inspection.pk)
    return _render_inspection(
        request, console, _inspection(console, inspection_id), status=status, form=form
    )


@manager_page
def vehicle_damage(request: HttpRequest, console: Console, vehicle_id: int) -> HttpResponse:
    """The vehicle's damage history (``inspections.history``), newest first;
    it spans every community, so organisation managers only (as on REST)."""
    if not manages_organisation(console.user, console.organisation.pk):
        raise DjangoPermissionDenied
    vehicle = _vehicles(console).filter(pk=vehicle_id).first()
    if vehicle is None:
        raise Http404
    entries = []
    for entry in damage_history(vehicle):
        entries.append(
            {
                **entry,
                "rows": outline_marks(entry["marks"]),
                "state_label": Incident.State(entry["state"]).label
                if entry["source"] == "incident"
                else "",
            }
        )
    return render(
        request,
        "web/manage/vehicle_damage.html",
        console.context(section="inspections", vehicle=vehicle, entries=entries),
    )
