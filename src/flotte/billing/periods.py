"""Payout periods: the month, or the fortnight (1st to 15th, 16th to the end
of the month), as calendar days in the organisation's time zone (parameter
``payout_period``)."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import param_value
from flotte.billing import params
from flotte.billing.models import PayoutStatement
from flotte.core.errors import ValidationFailed


@dataclass(frozen=True)
class Period:
    """Calendar days ``start`` to ``end`` (both included) in a time zone."""

    kind: str
    start: dt.date
    end: dt.date
    time_zone: str

    def _midnight(self, day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(self.time_zone))
        return local.astimezone(dt.UTC)

    @property
    def starts_at(self) -> dt.datetime:
        return self._midnight(self.start)

    @property
    def ends_at(self) -> dt.datetime:
        """The first instant after the period."""
        return self._midnight(self.end + dt.timedelta(days=1))


def natural_period(kind: str, day: dt.date, time_zone: str) -> Period:
    """The month, or the fortnight (1st-15th, 16th-end), holding ``day``."""
    last = calendar.monthrange(day.year, day.month)[1]
    if kind == PayoutStatement.Period.FORTNIGHT:
        first, final = (1, 15) if day.day <= 15 else (16, last)
    else:
        first, final = 1, last
    return Period(kind, day.replace(day=first), day.replace(day=final), time_zone)


def payout_period_kind(organisation: Organisation) -> str:
    return str(param_value(params.PAYOUT_PERIOD.key, organisation=organisation))


def period_starting(organisation: Organisation, start: dt.date) -> Period:
    """The period of the organisation's setting that starts on ``start``.
    After the setting changed from fortnight to month, the statement that
    follows the last fortnight runs from its end to the end of the month."""
    period = natural_period(payout_period_kind(organisation), start, organisation.time_zone)
    if period.start == start:
        return period
    follows = PayoutStatement.objects.filter(
        organisation=organisation, period_end=start - dt.timedelta(days=1)
    ).exists()
    if follows:
        return Period(period.kind, start, period.end, period.time_zone)
    raise ValidationFailed(
        f"{start.isoformat()} does not start a {period.kind} period "
        f"(the period holding it starts on {period.start.isoformat()})",
        code="not_a_period_start",
        fields={"period_start": "not the first day of a period"},
    )
