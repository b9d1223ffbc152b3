"""The current trip: unlock and lock through the box, the command's state
(polled by htmx), the digital key, and the end of the trip. Views parse,
call the telematics services and render."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flotte.core import clock
from flotte.core.errors import NotFound, ServiceError
from flotte.fleet.models import Box
from flotte.telematics.commands import command_for_actor, command_issue, current_trip
from flotte.telematics.keys import digital_key_current, digital_key_issue
from flotte.telematics.trips import booking_close_trip
from flotte.web.errors import add_to_form, explain, return_refusals
from flotte.web.forms import CommandForm, TripEndForm
from flotte.web.views.common import (
    Member,
    is_htmx,
    member_booking,
    member_page,
    problem,
    render_booking,
)


@require_POST
@member_page
def command_send(request: HttpRequest, member: Member, booking_id: int) -> HttpResponse:
    """Unlock or lock the car of the booking; htmx swaps in the command's
    state, which then polls itself until the box answers."""
    booking = member_booking(member, booking_id)
    form = CommandForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    try:
        command = command_issue(
            actor=member.user, vehicle=booking.vehicle, kind=form.cleaned_data["kind"]
        )
    except ServiceError as error:
        if is_htmx(request):
            return render(request, "web/partials/command.html", {"error": explain(error)})
        messages.error(request, explain(error))
        return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)
    if is_htmx(request):
        return render(
            request,
            "web/partials/command.html",
            {"command": command, "community": member.community},
        )
    url = redirect("web:booking", slug=member.community.slug, booking_id=booking.pk).url
    return redirect(f"{url}?command={command.pk}")


@require_GET
@member_page
def command_state(request: HttpRequest, member: Member, command_id: uuid.UUID) -> HttpResponse:
    try:
        command = command_for_actor(member.user, str(command_id))
    except NotFound:
        raise Http404 from None
    if command.booking is None or command.booking.community_id != member.community.pk:
        raise Http404
    return render(
        request,
        "web/partials/command.html",
        {"command": command, "community": member.community},
    )


@require_http_methods(["GET", "POST"])
@member_page
def key(request: HttpRequest, member: Member, booking_id: int) -> HttpResponse:
    """The digital key of the booking; the service worker keeps this page
    so that the key opens the car without network."""
    booking = member_booking(member, booking_id)
    try:
        if request.method == "POST":
            digital_key_issue(actor=member.user, booking=booking)
            return redirect("web:key", slug=member.community.slug, booking_id=booking.pk)
        current = digital_key_current(actor=member.user, booking=booking)
    except ServiceError as error:
        return problem(request, member, error)
    digital_key, token = current if current else (None, "")
    return render(
        request,
        "web/key.html",
        member.context(booking=booking, key=digital_key, token=token),
    )


@require_POST
@member_page
def trip_end(request: HttpRequest, member: Member, booking_id: int) -> HttpResponse:
    """End the trip; when refused, say why, condition by condition."""
    booking = member_booking(member, booking_id)
    has_box = Box.objects.filter(vehicle_id=booking.vehicle_id).exists()
    form = None if has_box else TripEndForm(request.POST)
    if form is not None and not form.is_valid():
        return render_booking(request, member, booking, end_form=form)
    try:
        booking_close_trip(
            actor=member.user,
            booking=booking,
            km=form.cleaned_data["km"] if form is not None else None,
        )
    except ServiceError as error:
        if error.code == "end_refused":
            refusals = return_refusals(error, station=booking.vehicle.home_station.name)
            return render_booking(request, member, booking, end_refusals=refusals)
        if form is not None:
            add_to_form(form, error)
            return render_booking(request, member, booking, end_form=form)
        messages.error(request, explain(error))
        return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)
    messages.success(request, _("Your trip is over. Thank you!"))
    return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)


@require_GET
@member_page
def trip(request: HttpRequest, member: Member) -> HttpResponse:
    """Where the app opens during a trip: the current booking's page."""
    booking = current_trip(member.user, member.community, clock.now())
    if booking is None:
        return render(
            request,
            "web/message.html",
            member.context(
                title=_("No trip now"),
                text=_("Your trip shows here from a few minutes before your booking starts."),
            ),
        )
    return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)
