"""Carpooling in the member app: offer the free seats of one's booking,
search trips, ask to join, and for the driver accept or decline. Views
parse, call the carpool services and selectors (those the REST router
calls) and render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flotte.booking.models import Booking
from flotte.carpool.hooks import display_name
from flotte.carpool.models import CarpoolOffer, CarpoolRequest
from flotte.carpool.selectors import Match, carpool_search, contribution_of, trip_km
from flotte.carpool.services import (
    carpool_offer_cancel,
    carpool_offer_create,
    carpool_request_accept,
    carpool_request_create,
    carpool_request_decline,
    seats_free,
)
from flotte.core import clock
from flotte.core.errors import ServiceError
from flotte.fleet.models import Station
from flotte.web.carpool_forms import AskForm, OfferForm, TripSearchForm
from flotte.web.errors import add_to_form, explain
from flotte.web.views.common import Member, member_booking, member_page


def _field_wording() -> dict[str, str]:
    """The carpool services' checks that carry a field and no code of their
    own, worded for members."""
    return {
        "departure_at": _("The departure is within the booking's time."),
        "return_at": _("The return comes after the departure and by the booking's end."),
        "destination": _("Choose a destination station, or give the place's name and coordinates."),
        "destination_station_id": _("No such station."),
        "end": _("The end must come after the start."),
    }


def _refuse_on_form(form: forms.Form, error: ServiceError) -> None:
    """The service's refusal on the field it is about (or above the form)."""
    if error.code == "invalid":
        for name in error.fields:
            text = _field_wording().get(name)
            if text is None:
                continue
            field = "destination_station" if name == "destination_station_id" else name
            form.add_error(field if field in form.fields else None, text)
            return
    add_to_form(form, error)


def _stations(member: Member) -> QuerySet[Station]:
    return Station.objects.filter(communities=member.community, active=True).order_by("name")


def _destinations(member: Member) -> QuerySet[Station]:
    return Station.objects.filter(organisation=member.community.organisation, active=True).order_by(
        "name"
    )


def _community_offers(member: Member) -> QuerySet[CarpoolOffer]:
    """Offers of the member's community: the only ones these pages show."""
    return CarpoolOffer.objects.filter(community=member.community).select_related(
        "driver",
        "origin_station",
        "booking__vehicle",
        "community__organisation",
        "destination_station",
    )


def _community_offer(member: Member, offer_id: int) -> CarpoolOffer:
    offer = _community_offers(member).filter(pk=offer_id).first()
    if offer is None:
        raise Http404
    return offer


def _current(prefix: str = "") -> Q:
    """Trips still to come or under way."""
    return Q(**{f"{prefix}departure_at__gte": clock.now()}) | Q(
        **{f"{prefix}booking__state": Booking.State.STARTED}
    )


@dataclass(frozen=True)
class Asked:
    """A request as the pages show it, with the name of the member on the
    other side (the passenger to the driver, the driver to the passenger):
    first name and initial, as members see each other."""

    request: CarpoolRequest
    name: str


@dataclass(frozen=True)
class Trip:
    """An offer as the pages show it."""

    offer: CarpoolOffer
    driver: str
    seats_free: int
    trip_km: int
    contribution: Any
    requests: list[Asked]


def _trip(offer: CarpoolOffer, *, with_requests: bool) -> Trip:
    requests = []
    if with_requests:
        requests = [
            Asked(r, display_name(r.passenger))
            for r in offer.requests.select_related("passenger").order_by("created_at", "pk")
        ]
    return Trip(
        offer=offer,
        driver=display_name(offer.driver),
        seats_free=seats_free(offer),
        trip_km=trip_km(offer),
        contribution=contribution_of(offer),
        requests=requests,
    )


def _search_form(member: Member, data: Any) -> TripSearchForm:
    start = clock.now().replace(second=0, microsecond=0)
    return TripSearchForm(
        data,
        origins=_stations(member),
        destinations=_destinations(member),
        initial={"start": start, "end": start + dt.timedelta(hours=2)},
    )


def _search(member: Member, form: TripSearchForm) -> list[Match] | None:
    """The matches, best first, or None when the form was not searched."""
    if not form.is_bound or not form.is_valid():
        return None
    data = form.cleaned_data
    station = data.get("destination_station")
    latitude = station.latitude if station else data["destination_latitude"]
    longitude = station.longitude if station else data["destination_longitude"]
    try:
        return carpool_search(
            member=member.user,
            community=member.community,
            origin_station=data["origin_station"],
            destination_latitude=latitude,
            destination_longitude=longitude,
            start=data["start"],
            end=data["end"],
        )
    except ServiceError as error:
        _refuse_on_form(form, error)
        return None


@require_GET
@member_page
def carpool(request: HttpRequest, member: Member) -> HttpResponse:
    """Search trips (GET with the search's fields), and my trips: those I
    offer, with their requests, and those I asked to join."""
    form = _search_form(member, request.GET if "start" in request.GET else None)
    matches = _search(member, form)
    status = 400 if form.is_bound and form.errors else 200
    offered = (
        _community_offers(member)
        .filter(_current(), driver=member.user)
        .order_by("departure_at", "pk")
    )
    asked = (
        CarpoolRequest.objects.filter(passenger=member.user, offer__community=member.community)
        .filter(_current("offer__"))
        .select_related("offer__driver", "offer__origin_station", "offer__booking")
        .order_by("offer__departure_at", "pk")
    )
    return render(
        request,
        "web/carpool.html",
        member.context(
            form=form,
            matches=matches,
            offered=[_trip(offer, with_requests=True) for offer in offered],
            asked=[Asked(r, display_name(r.offer.driver)) for r in asked],
            offerable=Booking.objects.filter(
                member=member.user, community=member.community, state__in=Booking.BLOCKING
            )
            .exclude(carpool_offers__state=CarpoolOffer.State.OPEN)
            .select_related("vehicle__home_station")
            .order_by("start")[:10],
        ),
        status=status,
    )


def _render_offer_form(
    request: HttpRequest, member: Member, booking: Booking, form: OfferForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "web/carpool_offer_new.html",
        member.context(booking=booking, form=form),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@member_page
def offer_new(request: HttpRequest, member: Member, booking_id: int) -> HttpResponse:
    """Offer the free seats of one of my bookings (another member's booking
    is a 404). A booking already offered shows its offer."""
    booking = member_booking(member, booking_id)
    already = booking.carpool_offers.filter(state=CarpoolOffer.State.OPEN).first()
    if already is not None:
        return redirect("web:carpool_offer", slug=member.community.slug, offer_id=already.pk)
    if request.method != "POST":
        form = OfferForm(
            destinations=_destinations(member),
            initial={"seats": 1, "departure_at": booking.start},
        )
        return _render_offer_form(request, member, booking, form)
    form = OfferForm(request.POST, destinations=_destinations(member))
    if form.is_valid():
        data = form.cleaned_data
        try:
            offer = carpool_offer_create(
                driver=member.user,
                booking=booking,
                seats=data["seats"],
                destination=data["destination"],
                destination_station=data["destination_station"],
                destination_latitude=data["destination_latitude"],
                destination_longitude=data["destination_longitude"],
                departure_at=data["departure_at"],
                return_at=data["return_at"],
                note=data["note"],
            )
        except ServiceError as error:
            _refuse_on_form(form, error)
        else:
            messages.success(request, _("Your free seats are offered."))
            return redirect("web:carpool_offer", slug=member.community.slug, offer_id=offer.pk)
    return _render_offer_form(request, member, booking, form, status=400)


def _render_offer(
    request: HttpRequest,
    member: Member,
    offer: CarpoolOffer,
    ask_form: AskForm | None = None,
    status: int = 200,
) -> HttpResponse:
    mine = offer.driver_id == member.user.pk
    my_requests = (
        []
        if mine
        else list(offer.requests.filter(passenger=member.user).order_by("-created_at", "-pk"))
    )
    live = any(r.state in CarpoolRequest.LIVE for r in my_requests)
    trip = _trip(offer, with_requests=mine)
    can_ask = (
        not mine
        and not live
        and offer.is_open
        and offer.booking.state in Booking.BLOCKING
        and offer.departure_at > clock.now()
        and trip.seats_free > 0
    )
    return render(
        request,
        "web/carpool_offer.html",
        member.context(
            trip=trip,
            offer=offer,
            mine=mine,
            my_requests=my_requests,
            ask_form=(ask_form or AskForm()) if can_ask or ask_form else None,
        ),
        status=status,
    )


@require_GET
@member_page
def offer_detail(request: HttpRequest, member: Member, offer_id: int) -> HttpResponse:
    """A trip of my community; its driver also sees the requests."""
    return _render_offer(request, member, _community_offer(member, offer_id))


@require_POST
@member_page
def ask(request: HttpRequest, member: Member, offer_id: int) -> HttpResponse:
    offer = _community_offer(member, offer_id)
    form = AskForm(request.POST)
    if form.is_valid():
        try:
            carpool_request_create(
                passenger=member.user,
                offer=offer,
                seats=form.cleaned_data["seats"],
                message=form.cleaned_data["message"],
            )
        except ServiceError as error:
            _refuse_on_form(form, error)
        else:
            messages.success(request, _("Your request is sent to the driver."))
            return redirect("web:carpool_offer", slug=member.community.slug, offer_id=offer.pk)
    return _render_offer(request, member, offer, ask_form=form, status=400)


@require_POST
@member_page
def offer_cancel(request: HttpRequest, member: Member, offer_id: int) -> HttpResponse:
    """The driver withdraws the offer; the booking stays."""
    offer = _community_offer(member, offer_id)
    try:
        carpool_offer_cancel(actor=member.user, offer=offer)
    except ServiceError as error:
        messages.error(request, explain(error))
    else:
        messages.success(request, _("Your offer is withdrawn; your booking stays."))
    return redirect("web:carpool_offer", slug=member.community.slug, offer_id=offer.pk)


def _answer(request: HttpRequest, member: Member, request_id: int, *, accept: bool) -> HttpResponse:
    """Only the driver of the offer finds the request here (a 404 for
    anyone else)."""
    asked = (
        CarpoolRequest.objects.filter(
            pk=request_id, offer__community=member.community, offer__driver=member.user
        )
        .select_related("offer")
        .first()
    )
    if asked is None:
        raise Http404
    decide = carpool_request_accept if accept else carpool_request_decline
    try:
        decide(actor=member.user, request=asked)
    except ServiceError as error:
        messages.error(request, explain(error))
    else:
        messages.success(
            request, _("The passenger is taken.") if accept else _("The request is declined.")
        )
    return redirect("web:carpool_offer", slug=member.community.slug, offer_id=asked.offer_id)


@require_POST
@member_page
def request_accept(request: HttpRequest, member: Member, request_id: int) -> HttpResponse:
    return _answer(request, member, request_id, accept=True)


@require_POST
@member_page
def request_decline(request: HttpRequest, member: Member, request_id: int) -> HttpResponse:
    return _answer(request, member, request_id, accept=False)
