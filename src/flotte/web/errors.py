"""Service errors worded for members, in their language.

Services raise errors with a stable code, an English message for the API and
the figures the message names. Pages show the sentence below for a known
code, and the service's own message otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from flotte.core.errors import ServiceError


def _lead(f: dict[str, Any]) -> str:
    if not f.get("minutes"):
        return _("A booking cannot start in the past.")
    return ngettext(
        "Book at least %(minutes)s minute before departure.",
        "Book at least %(minutes)s minutes before departure.",
        f["minutes"],
    ) % {"minutes": f["minutes"]}


def _parameter(f: dict[str, Any]) -> str:
    """A parameter's value refused by the registry, rule by rule."""
    rules = {
        "minimum": lambda: _("The value must be at least %(bound)s.") % f,
        "maximum": lambda: _("The value must be at most %(bound)s.") % f,
        "choice": lambda: _("Choose one of: %(choices)s.") % f,
        "choices": lambda: _("The list may only hold: %(choices)s.") % f,
        "whole": lambda: _("Give a whole number."),
        "decimal": lambda: _("Give a number, like 10.00."),
        "bool": lambda: _("Choose yes or no."),
        "text": lambda: _("Give a text."),
        "texts": lambda: _("Give a list of texts, separated by commas."),
    }
    return rules[f["rule"]]()


WORDING: dict[str, Callable[[dict[str, Any]], str]] = {
    # booking
    "vehicle_taken": lambda f: _("This vehicle is already booked at that time."),
    "no_vehicle_free": lambda f: _("No vehicle of this station and category is free then."),
    "vehicle_unavailable": lambda f: _("This vehicle cannot be booked in this community."),
    "private_use_refused": lambda f: _("Private use is not allowed for your group."),
    "purpose_required": lambda f: _("Give the trip's purpose or cost centre."),
    "not_cancellable": lambda f: _("This booking can no longer be cancelled."),
    "not_changeable": lambda f: _("This booking can no longer be changed."),
    "started": lambda f: _("The trip has started already."),
    "naive_time": lambda f: _("Give a date and a time."),
    "bad_times": lambda f: _("A booking ends after it starts."),
    "too_late_to_book": _lead,
    "beyond_horizon": lambda f: (
        ngettext(
            "Bookings open %(days)s day ahead.", "Bookings open %(days)s days ahead.", f["days"]
        )
        % f
    ),
    "too_short": lambda f: (
        ngettext(
            "A booking lasts at least %(minutes)s minute.",
            "A booking lasts at least %(minutes)s minutes.",
            f["minutes"],
        )
        % f
    ),
    "too_long": lambda f: (
        ngettext(
            "A booking lasts at most %(hours)s hour.",
            "A booking lasts at most %(hours)s hours.",
            f["hours"],
        )
        % f
    ),
    "too_many_bookings": lambda f: (
        ngettext(
            "You may hold %(count)s booking at a time.",
            "You may hold %(count)s bookings at a time.",
            f["count"],
        )
        % f
    ),
    "monthly_hours_exceeded": lambda f: (
        _("You may book %(hours)s hours per month; %(booked)s are booked already.") % f
    ),
    "bad_quote_request": lambda f: _("These times cannot be priced."),
    # who may book
    "not_member": lambda f: _("You are not a member of this community."),
    "not_validated": lambda f: _("Your driver profile is not validated yet."),
    "suspended": lambda f: _("Your account is suspended."),
    "licence_expired": lambda f: _("Your driving licence has expired."),
    "too_young": lambda f: _("You do not meet the minimum age of this community."),
    "licence_too_recent": lambda f: _("Your licence is too recent for this community."),
    # the car
    "no_current_booking": lambda f: _(
        "You can open or lock only the vehicle of your current booking, during its time."
    ),
    "no_box": lambda f: _("This vehicle has no box: use its key."),
    "not_active": lambda f: _("This booking has no key: it is not under way or to come."),
    "not_started": lambda f: _("Only a trip under way can end."),
    "end_refused": lambda f: _("The trip cannot end yet."),
    # carpooling
    "booking_not_upcoming": lambda f: _("Only a booking to come or under way can be offered."),
    "already_offered": lambda f: _("The seats of this booking are offered already."),
    "too_many_seats": lambda f: (
        ngettext(
            "Offer at most %(seats)s seat: the vehicle has no more, yours aside.",
            "Offer at most %(seats)s seats: the vehicle has no more, yours aside.",
            f["seats"],
        )
        % f
    ),
    "own_offer": lambda f: _("You are the driver of this trip."),
    "offer_closed": lambda f: _("This trip is no longer offered."),
    "no_seat_free": lambda f: _("Not enough seats are free on this trip."),
    "already_asked": lambda f: _("You asked to join this trip already."),
    "already_answered": lambda f: _("This request was answered already."),
    # inspections and incident reports
    "check_in_inspection_required": lambda f: _(
        "Do the check-in inspection before unlocking the vehicle."
    ),
    "check_out_inspection_required": lambda f: _(
        "Do the check-out inspection before ending the trip."
    ),
    "inspection_submitted": lambda f: _("This inspection is submitted: it cannot change."),
    "inspection_closed": lambda f: _(
        "This inspection cannot be made at this stage of the booking."
    ),
    "inspection_incomplete": lambda f: _("The inspection is not complete yet."),
    "not_driver": lambda f: _("Only the booking's driver inspects the vehicle."),
    "no_recent_booking": lambda f: _(
        "You can report an incident only about the vehicle of your trip, during it or "
        "in the days after."
    ),
    "not_reporter": lambda f: _("Only the person who reported it adds photos."),
    "incident_resolved": lambda f: _("This incident is resolved."),
    "too_many_photos": lambda f: _("This report has as many photos as it may hold."),
    # the console's parameters
    "invalid_parameter": _parameter,
    "invalid_level": lambda f: (
        _("This parameter cannot be set per %(level)s; it can be set per %(allowed)s.") % f
    ),
}


# Why a trip cannot end, condition by condition (trips.return_check).
def return_refusals(error: ServiceError, *, station: str) -> list[str]:
    conditions = {
        "state": _("The box has not reported the vehicle's state yet: try again in a moment."),
        "ignition": _("Switch the ignition off."),
        "doors": _("Close the doors."),
        "key": _("Put the key back in its place."),
        "position": _("The vehicle's position is not known yet: try again in a moment."),
        "station": _("Bring the vehicle back to its station, %(station)s.") % {"station": station},
    }
    return [conditions.get(name, text) for name, text in error.fields.items()]


def explain(error: ServiceError) -> str:
    """The error in the reader's language (the service's message when the
    code is not one a member meets here)."""
    wording = WORDING.get(error.code)
    if wording is None:
        return error.message
    try:
        return wording(error.figures)
    except (KeyError, TypeError):
        return error.message


def add_to_form(form: forms.Form, error: ServiceError) -> None:
    """Show the error on the field it is about, or above the form."""
    text = explain(error)
    for name in error.fields:
        if name in form.fields:
            form.add_error(name, text)
            return
    form.add_error(None, text)
