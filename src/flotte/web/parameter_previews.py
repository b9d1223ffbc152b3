"""What a parameter's value does, as one sentence with an example, shown
beside the parameter in the console and worked out again as the manager
types a new value.

Each preview takes the value to show and the organisation's values of the
parameters it works with, and calls the code that applies the parameter
(the late-return penalty of the pricing engine, for one), so that what the
console says is what the platform does."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import param_values
from flotte.booking import params as booking
from flotte.core import clock
from flotte.pricing.engine import STANDARD_VAT_RATE, late_return_penalty
from flotte.telematics import params as telematics
from flotte.web.templatetags.flotte_web import euros

# A typical example: a booking from 09:00 until 11:00 in the organisation's
# time zone, today.
EXAMPLE_START, EXAMPLE_END = dt.time(9, 0), dt.time(11, 0)
LATE_EXAMPLE_MINUTES = 45


def _time(moment: dt.datetime) -> str:
    return formats.time_format(moment, "H:i")


def _example(tz: zoneinfo.ZoneInfo, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(clock.now().astimezone(tz).date(), at, tzinfo=tz)


def _late_penalty(grace: int, per_half_hour: Decimal) -> str:
    penalty = late_return_penalty(
        LATE_EXAMPLE_MINUTES,
        grace_minutes=grace,
        per_started_half_hour=per_half_hour,
        vat_rate=STANDARD_VAT_RATE,
    )
    amount = penalty.amount if penalty else Decimal("0.00")
    return ngettext(
        "A car returned %(minutes)s minutes late costs %(amount)s more; "
        "up to %(grace)s minute late, nothing.",
        "A car returned %(minutes)s minutes late costs %(amount)s more; "
        "up to %(grace)s minutes late, nothing.",
        grace,
    ) % {"minutes": LATE_EXAMPLE_MINUTES, "amount": euros(amount), "grace": grace}


def _cancellation(free_hours: int, fee: Decimal) -> str:
    if not fee:
        return _("Cancelling is always free.")
    return ngettext(
        "Cancelling less than %(hours)s hour before the booked departure costs %(fee)s; "
        "earlier, it is free.",
        "Cancelling less than %(hours)s hours before the booked departure costs %(fee)s; "
        "earlier, it is free.",
        free_hours,
    ) % {"hours": free_hours, "fee": euros(fee)}


def _buffers(tz: zoneinfo.ZoneInfo, buffer: int, charging: int) -> str:
    end = _example(tz, EXAMPLE_END)
    return _(
        "A booking until %(end)s keeps the car until %(until)s, an electric car until %(electric)s."
    ) % {
        "end": _time(end),
        "until": _time(end + dt.timedelta(minutes=buffer)),
        "electric": _time(end + dt.timedelta(minutes=buffer + charging)),
    }


def _no_show(tz: zoneinfo.ZoneInfo, minutes: int) -> str:
    start = _example(tz, EXAMPLE_START)
    return _("A booking from %(start)s not started by %(limit)s is a no-show.") % {
        "start": _time(start),
        "limit": _time(start + dt.timedelta(minutes=minutes)),
    }


def _window(tz: zoneinfo.ZoneInfo, lead: int, horizon: int) -> str:
    now = clock.now().astimezone(tz)
    return _(
        "Booking now (%(now)s), a member may leave at %(earliest)s at the earliest, "
        "and up to %(latest)s."
    ) % {
        "now": formats.date_format(now, "DATETIME_FORMAT"),
        "earliest": formats.date_format(now + dt.timedelta(minutes=lead), "DATETIME_FORMAT"),
        "latest": formats.date_format(now + dt.timedelta(days=horizon), "DATE_FORMAT"),
    }


def _retention(tz: zoneinfo.ZoneInfo, days: int) -> str:
    limit = clock.now().astimezone(tz) - dt.timedelta(days=days)
    return _("Positions recorded before %(date)s are purged.") % {
        "date": formats.date_format(limit, "DATE_FORMAT")
    }


# key -> (the other parameters it works with, what the pair does)
Preview = Callable[[zoneinfo.ZoneInfo, dict[str, Any]], str]
PREVIEWS: dict[str, tuple[tuple[str, ...], Preview]] = {}


def _pair(first: str, second: str, show: Callable[..., str], *, zone: bool = False) -> None:
    """Both parameters of a pair preview the same sentence."""

    def preview(tz: zoneinfo.ZoneInfo, values: dict[str, Any]) -> str:
        args = (values[first], values[second])
        return show(tz, *args) if zone else show(*args)

    PREVIEWS[first] = ((second,), preview)
    PREVIEWS[second] = ((first,), preview)


_pair(booking.LATE_GRACE.key, booking.LATE_PENALTY.key, _late_penalty)
_pair(booking.CANCEL_FREE_HOURS.key, booking.CANCEL_FEE.key, _cancellation)
_pair(booking.BUFFER.key, booking.EV_CHARGING_BUFFER.key, _buffers, zone=True)
_pair(booking.LEAD_TIME.key, booking.HORIZON.key, _window, zone=True)
PREVIEWS[booking.NO_SHOW_AFTER.key] = ((), lambda tz, v: _no_show(tz, v[booking.NO_SHOW_AFTER.key]))
PREVIEWS[telematics.POSITION_RETENTION.key] = (
    (),
    lambda tz, v: _retention(tz, v[telematics.POSITION_RETENTION.key]),
)


def has_preview(key: str) -> bool:
    return key in PREVIEWS


def preview(key: str, organisation: Organisation, value: Any = None) -> str | None:
    """The effect of ``value`` for ``key`` (of the organisation's own value
    when none is given), with the organisation's values of the others."""
    entry = PREVIEWS.get(key)
    if entry is None:
        return None
    others, show = entry
    values = param_values([key, *others], organisation=organisation)
    if value is not None:
        values[key] = value
    return show(zoneinfo.ZoneInfo(organisation.time_zone), values)
