"""The console's planning: vehicles × days, and a booking's changes from it."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flotte.accounts.selectors import members_of
from flotte.booking.lifecycle import booking_change
from flotte.booking.models import Booking
from flotte.booking.services import booking_cancel, booking_create
from flotte.booking.transfers import booking_transfer
from flotte.core.errors import ServiceError
from flotte.fleet.models import Vehicle
from flotte.web import dashboard
from flotte.web.errors import add_to_form, explain
from flotte.web.manage_forms import ManageChangeForm, PlanningBookForm, TransferForm
from flotte.web.views.manage import Console, manager_page

DAYS = 7


def _vehicles(console: Console):  # type: ignore[no-untyped-def]
    return Vehicle.objects.filter(organisation=console.organisation).order_by("plate")


def _book_form(console: Console, data: object = None) -> PlanningBookForm:
    return PlanningBookForm(
        data,
        members=members_of(console.organisation, console.user).order_by("email"),
        communities=console.communities,
        vehicles=_vehicles(console),
    )


def _first_day(console: Console, raw: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return console.today()
    return dt.datetime.combine(day, dt.time(), tzinfo=console.zone)


def _render_planning(
    request: HttpRequest, console: Console, form: PlanningBookForm, status: int = 200
) -> HttpResponse:
    start = _first_day(console, request.GET.get("start", ""))
    end = start + dt.timedelta(days=DAYS)
    days = [start + dt.timedelta(days=n) for n in range(DAYS)]
    rows = dashboard.planning_rows(console.organisation, set(console.community_ids), start, end)
    return render(
        request,
        "web/manage/planning.html",
        console.context(
            section="planning",
            days=days,
            rows=rows,
            previous=(start - dt.timedelta(days=DAYS)).date().isoformat(),
            following=end.date().isoformat(),
            form=form,
            states=Booking.State,
        ),
        status=status,
    )


@manager_page
def planning(request: HttpRequest, console: Console) -> HttpResponse:
    """The grid, and a booking made for a member (POST)."""
    if request.method != "POST":
        return _render_planning(request, console, _book_form(console))
    form = _book_form(console, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            booking = booking_create(
                actor=console.user,
                member=data["member"],
                community=data["community"],
                vehicle=data["vehicle"],
                start=data["start"],
                end=data["end"],
                purpose=data["purpose"],
            )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request, _("Booking made for %(email)s.") % {"email": booking.member.email}
            )
            url = reverse("web:manage_planning", args=[console.organisation.pk])
            return redirect(f"{url}?start={data['start'].date().isoformat()}")
    return _render_planning(request, console, form, status=400)


def _booking(console: Console, booking_id: int) -> Booking:
    booking = dashboard.managed_bookings(set(console.community_ids)).filter(pk=booking_id).first()
    if booking is None:
        raise Http404
    return booking


def _render_booking(
    request: HttpRequest,
    console: Console,
    booking: Booking,
    status: int = 200,
    change_form: ManageChangeForm | None = None,
    transfer_form: TransferForm | None = None,
    error: str = "",
) -> HttpResponse:
    return render(
        request,
        "web/manage/booking.html",
        console.context(
            section="planning",
            booking=booking,
            change_form=change_form
            or ManageChangeForm(initial={"end": booking.end}, vehicles=_vehicles(console)),
            transfer_form=transfer_form or TransferForm(),
            error=error,
        ),
        status=status,
    )


@manager_page
def booking_view(request: HttpRequest, console: Console, booking_id: int) -> HttpResponse:
    return _render_booking(request, console, _booking(console, booking_id))


def _back(console: Console, booking: Booking) -> HttpResponse:
    url = reverse("web:manage_planning", args=[console.organisation.pk])
    local = booking.start.astimezone(console.zone).date().isoformat()
    return redirect(f"{url}?start={local}")


@require_POST
@manager_page
def booking_change_view(request: HttpRequest, console: Console, booking_id: int) -> HttpResponse:
    booking = _booking(console, booking_id)
    form = ManageChangeForm(request.POST, vehicles=_vehicles(console))
    if form.is_valid():
        vehicle = form.cleaned_data["vehicle"]
        try:
            booking_change(
                actor=console.user,
                booking=booking,
                end=form.cleaned_data["end"],
                vehicle=vehicle if vehicle and vehicle.pk != booking.vehicle_id else None,
            )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Booking changed."))
            return _back(console, booking)
    return _render_booking(request, console, booking, status=400, change_form=form)


@require_POST
@manager_page
def booking_transfer_view(request: HttpRequest, console: Console, booking_id: int) -> HttpResponse:
    booking = _booking(console, booking_id)
    form = TransferForm(request.POST)
    if form.is_valid():
        try:
            transfer = booking_transfer(
                booking=booking, reason=form.cleaned_data["reason"], actor=console.user
            )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            if transfer.to_vehicle_id is None:
                messages.error(request, _("No equivalent vehicle is free: an alert was raised."))
            else:
                messages.success(request, _("Booking moved to another vehicle."))
            return _back(console, booking)
    return _render_booking(request, console, booking, status=400, transfer_form=form)


@require_POST
@manager_page
def booking_cancel_view(request: HttpRequest, console: Console, booking_id: int) -> HttpResponse:
    booking = _booking(console, booking_id)
    try:
        booking_cancel(actor=console.user, booking=booking)
    except ServiceError as error:
        return _render_booking(request, console, booking, status=400, error=explain(error))
    messages.success(request, _("Booking cancelled."))
    return _back(console, booking)
