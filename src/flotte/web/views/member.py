"""The member app: search and book, my bookings, change, extend, cancel.
Views parse, call the booking services and render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flotte.booking.alternatives import Alternative, booking_alternatives
from flotte.booking.lifecycle import booking_change
from flotte.booking.models import Booking
from flotte.booking.services import (
    Offer,
    availability,
    booking_cancel,
    booking_cancellation_fee,
    booking_create,
    use_rules,
)
from flotte.core import clock
from flotte.core.errors import ServiceError
from flotte.fleet.models import Station, Vehicle
from flotte.telematics.commands import current_trip
from flotte.web.errors import add_to_form, explain
from flotte.web.forms import BookForm, ChangeForm, SearchForm
from flotte.web.templatetags.flotte_web import euros
from flotte.web.views.common import Member, member_booking, member_page, render_booking


def _stations(member: Member) -> Any:
    return Station.objects.filter(communities=member.community, active=True).order_by("name")


def _search_form(member: Member, form_class: type[SearchForm], data: Any) -> SearchForm:
    rules = use_rules(member.membership)
    start = clock.now().astimezone(timezone.get_current_timezone())
    start = start.replace(second=0, microsecond=0) + dt.timedelta(minutes=15 - start.minute % 15)
    return form_class(
        data,
        stations=_stations(member),
        private_allowed=rules.private_allowed,
        purpose_required=rules.purpose_required,
        initial={"start": start, "end": start + dt.timedelta(hours=2)},
    )


def _search(member: Member, data: dict[str, Any]) -> tuple[list[Offer], list[Alternative]]:
    """Free vehicles for the search, and when there is none, the nearest
    alternatives."""
    station = data.get("station")
    query: dict[str, Any] = {
        "member": member.user,
        "community": member.community,
        "start": data["start"],
        "end": data["end"],
        "station_ids": [station.pk] if station else None,
        "category": data.get("category") or None,
        "declared_km": data.get("km") or 0,
        "business_use": data.get("use") == Booking.Use.BUSINESS,
    }
    offers = availability(**query)
    if offers:
        return offers, []
    return [], booking_alternatives(**query)


def _station_map(member: Member) -> dict[str, Any]:
    return {
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "stations": [
            {
                "id": s.pk,
                "name": s.name,
                "address": s.address,
                "lat": float(s.latitude),
                "lon": float(s.longitude),
            }
            for s in _stations(member)
        ],
    }


def _render_search(
    request: HttpRequest, member: Member, form: SearchForm, *, status: int = 200
) -> HttpResponse:
    offers: list[Offer] = []
    alternatives: list[Alternative] = []
    searched = form.is_bound and form.is_valid()
    if searched:
        try:
            offers, alternatives = _search(member, form.cleaned_data)
        except ServiceError as error:
            add_to_form(form, error)
            searched = False
    return render(
        request,
        "web/search.html",
        member.context(
            form=form,
            searched=searched,
            offers=offers,
            alternatives=alternatives,
            station_map=_station_map(member),
        ),
        status=status,
    )


@require_GET
@member_page
def search(request: HttpRequest, member: Member) -> HttpResponse:
    data = request.GET if "start" in request.GET else None
    return _render_search(request, member, _search_form(member, SearchForm, data))


@require_POST
@member_page
def book(request: HttpRequest, member: Member) -> HttpResponse:
    form = _search_form(member, BookForm, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        vehicle = Vehicle.objects.filter(
            organisation=member.community.organisation, pk=data["vehicle"]
        ).first()
        if vehicle is None:
            raise Http404
        try:
            booking = booking_create(
                actor=member.user,
                member=member.user,
                community=member.community,
                vehicle=vehicle,
                start=data["start"],
                end=data["end"],
                use=data["use"],
                purpose=data["purpose"],
                cost_centre=data["cost_centre"],
                declared_km=data["km"] or 0,
            )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("Booked: %(vehicle)s, %(start)s.")
                % {
                    "vehicle": f"{vehicle.make} {vehicle.model}",
                    "start": formats.date_format(
                        timezone.localtime(booking.start), "DATETIME_FORMAT"
                    ),
                },
            )
            return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)
    return _render_search(request, member, form)


@require_GET
@member_page
def bookings(request: HttpRequest, member: Member) -> HttpResponse:
    mine = Booking.objects.filter(member=member.user, community=member.community).select_related(
        "vehicle__home_station"
    )
    return render(
        request,
        "web/bookings.html",
        member.context(
            current=current_trip(member.user, member.community, clock.now()),
            upcoming=mine.filter(state__in=Booking.BLOCKING).order_by("start"),
            past=mine.exclude(state__in=Booking.BLOCKING).order_by("-start")[:20],
        ),
    )


@require_GET
@member_page
def booking_detail(request: HttpRequest, member: Member, booking_id: int) -> HttpResponse:
    return render_booking(request, member, member_booking(member, booking_id))


@require_POST
@member_page
def booking_change_view(request: HttpRequest, member: Member, booking_id: int) -> HttpResponse:
    booking = member_booking(member, booking_id)
    form = ChangeForm(request.POST)
    if form.is_valid():
        try:
            booking = booking_change(
                actor=member.user, booking=booking, end=form.cleaned_data["end"]
            )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Your booking is changed."))
            return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)
    return render_booking(request, member, booking, change_form=form)


@require_http_methods(["GET", "POST"])
@member_page
def booking_cancel_view(request: HttpRequest, member: Member, booking_id: int) -> HttpResponse:
    """GET: what cancelling costs, to confirm. POST: cancel."""
    booking = member_booking(member, booking_id)
    if request.method == "POST":
        try:
            cancelled = booking_cancel(actor=member.user, booking=booking)
        except ServiceError as error:
            messages.error(request, explain(error))
            return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)
        if cancelled.cancellation_fee:
            messages.success(
                request,
                _("Your booking is cancelled. Cancellation fee: %(fee)s.")
                % {"fee": euros(cancelled.cancellation_fee)},
            )
        else:
            messages.success(request, _("Your booking is cancelled, free of charge."))
        return redirect(reverse("web:bookings", kwargs={"slug": member.community.slug}))
    if booking.state != Booking.State.CONFIRMED:
        messages.error(request, _("This booking can no longer be cancelled."))
        return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)
    return render(
        request,
        "web/cancel.html",
        member.context(booking=booking, fee=booking_cancellation_fee(booking)),
    )
