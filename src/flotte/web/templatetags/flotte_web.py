"""Template helpers of the member app: prices, quote lines and commands
worded in the reader's language, and a readable text colour on a brand
colour."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from flotte.accounts.drivers import Refusal
from flotte.core.errors import ServiceError
from flotte.pricing.engine import QuoteLine
from flotte.web.errors import explain

register = template.Library()


@register.filter
def euros(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return _("%(amount)s €") % {"amount": formats.number_format(amount, 2, use_l10n=True)}


@register.filter
def line_label(line: QuoteLine) -> str:
    """A quote line's label; packages keep the name the manager gave them."""
    labels = {
        "time_day": _("Time"),
        "time_night": _("Time, night rate"),
        "time_weekend": _("Time, weekend rate"),
        "tier_discount": _("Long booking discount"),
        "day_cap": _("Daily cap"),
        "week_cap": _("Weekly cap"),
        "distance": _("Distance"),
        "minimum": _("Minimum charge"),
        "business_free": _("Internal business use"),
        "late_return": _("Late return"),
    }
    return labels.get(line.code, line.label)


@register.filter
def shift(delta: dt.timedelta) -> str:
    """How far an alternative is from the time asked for."""
    hours = int(delta.total_seconds() // 3600)
    if hours > 0:
        return ngettext("%(n)s hour later", "%(n)s hours later", hours) % {"n": hours}
    if hours < 0:
        return ngettext("%(n)s hour earlier", "%(n)s hours earlier", -hours) % {"n": -hours}
    return _("same time")


@register.filter
def distance(metres: float | None) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return _("%(m)s m away") % {"m": int(round(metres, -1))}
    km = formats.number_format(round(metres / 1000, 1), 1, use_l10n=True)
    return _("%(km)s km away") % {"km": km}


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@register.filter
def text_on(colour: str | None) -> str:
    """Black or white, whichever contrasts more with the brand colour (WCAG
    relative luminance), so that any community's colours stay readable."""
    if not colour or len(colour) != 7 or not colour.startswith("#"):
        return "#ffffff"
    try:
        lum = _luminance(colour)
    except ValueError:
        return "#ffffff"
    return "#111827" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


@register.filter
def refusal(reason: Refusal) -> str:
    """Why a member may not book, in the reader's language."""
    return explain(ServiceError(reason.message, code=reason.code))
