"""The fleet in the console: stations, vehicles with their box and state,
the latest commands, and a map of the positions the policy lets boxes send."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from flotte.accounts.parameters import param_value
from flotte.core.errors import ServiceError
from flotte.fleet.models import Box, Station, Vehicle
from flotte.telematics.models import Command
from flotte.telematics.params import POSITION_POLICY
from flotte.telematics.selectors import vehicle_state_for
from flotte.web.views.manage import Console, manager_page


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
