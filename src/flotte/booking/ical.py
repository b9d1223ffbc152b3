"""A member's bookings as an iCalendar feed (RFC 5545): a stable UID per
booking, SEQUENCE growing with each change, cancelled bookings kept with
STATUS:CANCELLED so that calendars remove them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flotte.booking.models import Booking

STATUS: dict[str, str] = {
    Booking.State.CANCELLED.value: "CANCELLED",
    Booking.State.NO_SHOW.value: "CANCELLED",
}


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space,
    never cutting a UTF-8 character."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(bookings: Iterable[Booking], *, host: str, name: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Flotte//Bookings//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for booking in bookings:
        vehicle = booking.vehicle
        station = vehicle.home_station
        lines += [
            "BEGIN:VEVENT",
            f"UID:booking-{booking.pk}@{host}",
            f"DTSTAMP:{stamp(booking.cancelled_at or booking.created_at)}",
            f"DTSTART:{stamp(booking.start)}",
            f"DTEND:{stamp(booking.end)}",
            f"SEQUENCE:{booking.sequence}",
            f"STATUS:{STATUS.get(booking.state, 'CONFIRMED')}",
            f"SUMMARY:{escape(f'{vehicle.make} {vehicle.model} ({vehicle.plate})')}",
            f"LOCATION:{escape(f'{station.name}, {station.address}')}",
            f"DESCRIPTION:{escape(booking.purpose or booking.community.name)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
