"""The fleet in the console: stations, vehicles with their box and state,
the latest commands, a map of the positions the policy lets boxes send, and
adding and editing stations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from flotte.accounts.parameters import param_value
from flotte.core.errors import ServiceError
from flotte.fleet.models import Box, Station, Vehicle
from flotte.fleet.services import station_create, station_update
from flotte.telematics.models import Command
from flotte.telematics.params import POSITION_POLICY
from flotte.telematics.selectors import vehicle_state_for
from flotte.web.manage_forms_fleet import StationForm
from flotte.web.views.manage import Console, manager_page, submit


@manager_page
def fleet(request: HttpRequest, console: Console) -> HttpResponse:
    org = console.organisation
    policy = param_value(POSITION_POLICY.key, organisation=org)
    stations = list(Station.objects.filter(organisation=org).order_by("name"))
    boxes = {box.vehicle_id: box for box in Box.objects.filter(organisation=org)}
    vehicles = []
    points: list[dict[str, Any]] = []
    for vehicle in Vehicle.objects.filter(organisation=org).select_related("home_station"):
        state: dict[str, Any] | None = None
        if vehicle.pk in boxes:
            try:
                # The selector the REST state route uses: positions only to
                # managers, and each reading audited.
                state = vehicle_state_for(console.user, vehicle)
            except ServiceError:
                state = None
        vehicles.append({"vehicle": vehicle, "box": boxes.get(vehicle.pk), "state": state})
        if policy != "never" and state and state.get("latitude") is not None:
            points.append(
                {
                    "lat": float(state["latitude"]),
                    "lon": float(state["longitude"]),
                    "label": vehicle.plate,
                    "kind": "vehicle",
                }
            )
    for station in stations:
        points.append(
            {
                "lat": float(station.latitude),
                "lon": float(station.longitude),
                "label": station.name,
                "kind": "station",
            }
        )
    commands = (
        Command.objects.filter(organisation=org)
        .select_related("vehicle")
        .order_by("-issued_at")[:30]
    )
    return render(
        request,
        "web/manage/fleet.html",
        console.context(
            section="fleet",
            stations=stations,
            vehicles=vehicles,
            commands=commands,
            policy=policy,
            fleet_map={
                "tiles": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
                "points": points,
            },
        ),
    )


def _render_station_form(
    request: HttpRequest,
    console: Console,
    form: StationForm,
    station: Station | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/manage/station_form.html",
        console.context(section="fleet", form=form, station=station),
        status=status,
    )


@manager_page
def station_new(request: HttpRequest, console: Console) -> HttpResponse:
    """Add a station to the organisation (``station_create``)."""
    org = console.organisation
    if request.method != "POST":
        return _render_station_form(request, console, StationForm(organisation=org), None)
    form = StationForm(request.POST, organisation=org)
    station, status = submit(
        form,
        lambda: station_create(actor=console.user, organisation=org, **form.service_fields()),
    )
    if station is None:
        return _render_station_form(request, console, form, None, status=status)
    messages.success(request, _("Station “%(name)s” added.") % {"name": station.name})
    return redirect("web:manage_fleet", org.pk)


@manager_page
def station_edit(request: HttpRequest, console: Console, station_id: int) -> HttpResponse:
    """Change a station's details (``station_update``)."""
    org = console.organisation
    station = Station.objects.filter(organisation=org, pk=station_id).first()
    if station is None:
        raise Http404
    if request.method != "POST":
        form = StationForm(initial=StationForm.initial_for(station), organisation=org)
        return _render_station_form(request, console, form, station)
    form = StationForm(request.POST, organisation=org)
    saved, status = submit(
        form,
        lambda: station_update(actor=console.user, station=station, **form.service_fields()),
    )
    if saved is None:
        station.refresh_from_db()
        return _render_station_form(request, console, form, station, status=status)
    messages.success(request, _("Station “%(name)s” saved.") % {"name": station.name})
    return redirect("web:manage_fleet", org.pk)
