"""Pricing: pure functions over plain data. No database, no clock.

``quote(rules, start, end, km, time_zone)`` prices a booking: the quote
shown before booking (booked times, declared km), the final price (actual
times and km) and the statistics all call it, so a trip that goes as booked
costs exactly what was quoted.

All prices include VAT. Each line's amount is rounded to the cent once,
half up; the total is the sum of the lines. Durations are real durations
(computed in UTC), and time-slot rates are read in the community's time
zone, so a night that loses an hour to daylight saving is billed an hour
less.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flotte.core.money import to_cents

ZERO = Decimal("0")
STANDARD_VAT_RATE = Decimal("20.0")  # France
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class Tier:
    """From ``after_hours`` of booking on, time costs ``discount_pct`` less."""

    after_hours: int
    discount_pct: Decimal


@dataclass(frozen=True)
class FlatRate:
    """A package (*forfait*): up to ``max_minutes`` for ``price``, with
    ``included_km``. Chosen when it is cheaper than the time and km price.

    A package may hold only within a time of day, in the community's time
    zone: an evening package from 18:00 until 23:00 prices a booking that
    starts at or after 18:00 and ends by 23:00 of that evening. A window
    whose end comes before its start runs past midnight (22:00 until 08:00).
    """

    label: str
    max_minutes: int
    price: Decimal
    included_km: int = 0
    from_time: dt.time | None = None
    until_time: dt.time | None = None

    def __post_init__(self) -> None:
        if (self.from_time is None) != (self.until_time is None):
            raise ValueError("a package's time window needs both its start and its end")
        if self.from_time is not None and self.from_time == self.until_time:
            raise ValueError("a package's time window starts and ends at the same time")

    def covers(self, start: dt.datetime, end: dt.datetime, tz: zoneinfo.ZoneInfo) -> bool:
        """Whether a booking from ``start`` to ``end`` lies within one
        occurrence of the package's window (always, without a window)."""
        if self.from_time is None or self.until_time is None:
            return True
        local_start = start.astimezone(tz)
        for day in (local_start.date() - DAY, local_start.date()):
            opens = dt.datetime.combine(day, self.from_time, tzinfo=tz)
            closes_on = day if self.until_time > self.from_time else day + DAY
            closes = dt.datetime.combine(closes_on, self.until_time, tzinfo=tz)
            if opens <= start and end <= closes:
                return True
        return False


@dataclass(frozen=True)
class TariffRules:
    """What a tariff charges. Rates are in euros including VAT."""

    hourly_rate: Decimal
    km_rate: Decimal = ZERO
    vat_rate: Decimal = STANDARD_VAT_RATE
    first_block_minutes: int = 60  # billed in full, even when shorter
    step_minutes: int = 15  # then billed by started step
    night_rate: Decimal | None = None  # hourly, between night_start and night_end
    night_start: dt.time = dt.time(21, 0)
    night_end: dt.time = dt.time(7, 0)
    weekend_rate: Decimal | None = None  # hourly, Saturday and Sunday outside night hours
    day_cap: Decimal | None = None  # time charge per 24 hours from the start
    week_cap: Decimal | None = None  # time charge per 7 days from the start
    included_km_per_day: int = 0  # per started 24 hours
    minimum_charge: Decimal = ZERO
    tiers: tuple[Tier, ...] = ()
    flat_rates: tuple[FlatRate, ...] = ()
    free_business_use: bool = False

    def __post_init__(self) -> None:
        for name in ("hourly_rate", "km_rate", "minimum_charge"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or value < 0:
                raise ValueError(f"{name} must be a non-negative Decimal")
        if self.step_minutes < 1 or self.first_block_minutes < 0:
            raise ValueError("the billing step is at least one minute")
        if self.night_start == self.night_end and self.night_rate is not None:
            raise ValueError("the night starts and ends at the same time")


@dataclass(frozen=True)
class QuoteLine:
    label: str
    quantity: Decimal
    unit_price: Decimal  # incl. VAT
    amount: Decimal  # incl. VAT, rounded to the cent
    vat_rate: Decimal
    code: str = ""


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    billed_minutes: int
    km: int

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


@dataclass
class _Step:
    start: dt.datetime  # UTC
    minutes: int
    slot: str
    rate: Decimal
    amount: Decimal = ZERO  # exact, before rounding
    discount: Decimal = ZERO  # from tiers


@dataclass
class _Time:
    steps: list[_Step] = field(default_factory=list)


SLOT_LABELS = {"day": "Time", "night": "Time, night rate", "weekend": "Time, weekend rate"}


def billed_minutes(rules: TariffRules, minutes: int) -> int:
    """The first block in full, then started steps."""
    if minutes <= rules.first_block_minutes:
        return rules.first_block_minutes
    extra = minutes - rules.first_block_minutes
    return rules.first_block_minutes + math.ceil(extra / rules.step_minutes) * rules.step_minutes


def _slot(rules: TariffRules, local: dt.datetime) -> tuple[str, Decimal]:
    if rules.night_rate is not None:
        clock = local.time()
        start, end = rules.night_start, rules.night_end
        at_night = start <= clock < end if start < end else (clock >= start or clock < end)
        if at_night:
            return "night", rules.night_rate
    if rules.weekend_rate is not None and local.weekday() >= 5:
        return "weekend", rules.weekend_rate
    return "day", rules.hourly_rate


def _steps(
    rules: TariffRules, start: dt.datetime, minutes: int, tz: zoneinfo.ZoneInfo
) -> list[_Step]:
    """Billed time cut in steps, each priced at the rate of the time slot it
    starts in (local time)."""
    steps = []
    offset = 0
    size = rules.step_minutes
    while offset < minutes:
        length = min(size, minutes - offset)
        at = start + dt.timedelta(minutes=offset)
        slot, rate = _slot(rules, at.astimezone(tz))
        step = _Step(at, length, slot, rate)
        step.amount = rate * length / 60
        hours_in = Decimal(offset) / 60
        discount_pct = max(
            (tier.discount_pct for tier in rules.tiers if hours_in >= tier.after_hours),
            default=ZERO,
        )
        step.discount = step.amount * discount_pct / 100
        steps.append(step)
        offset += length
    return steps


def _line(
    label: str, quantity: Decimal, unit: Decimal, amount: Decimal, rules: TariffRules, code: str
) -> QuoteLine:
    return QuoteLine(label, quantity, to_cents(unit), to_cents(amount), rules.vat_rate, code)


def _time_lines(rules: TariffRules, start: dt.datetime, steps: list[_Step]) -> list[QuoteLine]:
    lines: list[QuoteLine] = []
    by_slot: dict[tuple[str, Decimal], int] = defaultdict(int)
    for step in steps:
        by_slot[(step.slot, step.rate)] += step.minutes
    for (slot, rate), minutes in sorted(by_slot.items()):
        hours = Decimal(minutes) / 60
        lines.append(
            _line(SLOT_LABELS[slot], hours.normalize(), rate, rate * hours, rules, f"time_{slot}")
        )
    discount = sum((step.discount for step in steps), ZERO)
    if discount:
        lines.append(
            _line("Long booking discount", Decimal(1), -discount, -discount, rules, "tier_discount")
        )
    # Caps apply to the discounted time charge, per 24 hours and per 7 days
    # counted from the start.
    per_day: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for step in steps:
        per_day[(step.start - start) // DAY] += step.amount - step.discount
    day_capped = {
        day: min(amount, rules.day_cap) if rules.day_cap is not None else amount
        for day, amount in per_day.items()
    }
    day_saving = sum(per_day.values(), ZERO) - sum(day_capped.values(), ZERO)
    if day_saving > 0:
        lines.append(
            _line(
                "Daily cap (forfait jour)", Decimal(1), -day_saving, -day_saving, rules, "day_cap"
            )
        )
    if rules.week_cap is not None:
        per_week: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for day, amount in day_capped.items():
            per_week[day // 7] += amount
        week_saving = sum(
            (amount - rules.week_cap for amount in per_week.values() if amount > rules.week_cap),
            ZERO,
        )
        if week_saving > 0:
            lines.append(
                _line("Weekly cap", Decimal(1), -week_saving, -week_saving, rules, "week_cap")
            )
    return lines


def _km_line(rules: TariffRules, km: int, included: int) -> QuoteLine | None:
    billable = max(0, km - included)
    if billable == 0 or rules.km_rate == 0:
        return None
    return _line(
        f"Distance ({km} km, {included} included)",
        Decimal(billable),
        rules.km_rate,
        rules.km_rate * billable,
        rules,
        "distance",
    )


def _sum(lines: list[QuoteLine]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def quote(
    rules: TariffRules,
    start: dt.datetime,
    end: dt.datetime,
    km: int,
    time_zone: str,
    *,
    business_use: bool = False,
) -> Quote:
    """Price a booking from ``start`` to ``end`` (aware datetimes) for
    ``km`` kilometres. Raises ``ValueError`` on impossible input."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if end <= start:
        raise ValueError("a booking ends after it starts")
    if km < 0:
        raise ValueError("km cannot be negative")
    tz = zoneinfo.ZoneInfo(time_zone)
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    real_minutes = math.ceil((end - start).total_seconds() / 60)
    minutes = billed_minutes(rules, real_minutes)
    if business_use and rules.free_business_use:
        line = QuoteLine(
            "Internal business use", Decimal(1), ZERO, ZERO, rules.vat_rate, "business_free"
        )
        return Quote((line,), minutes, km)
    steps = _steps(rules, start, minutes, tz)
    days = max(1, math.ceil(minutes / (24 * 60)))
    included = rules.included_km_per_day * days
    lines = _time_lines(rules, start, steps)
    km_line = _km_line(rules, km, included)
    if km_line:
        lines.append(km_line)
    # A package is used when it covers the booking and costs less.
    for package in sorted(rules.flat_rates, key=lambda p: p.price):
        if minutes > package.max_minutes or not package.covers(start, end, tz):
            continue
        package_lines = [
            _line(package.label, Decimal(1), package.price, package.price, rules, "flat_rate")
        ]
        extra_km = _km_line(rules, km, package.included_km)
        if extra_km:
            package_lines.append(extra_km)
        if _sum(package_lines) < _sum(lines):
            lines = package_lines
    if _sum(lines) < rules.minimum_charge:
        top_up = rules.minimum_charge - _sum(lines)
        lines.append(_line("Minimum charge", Decimal(1), top_up, top_up, rules, "minimum"))
    return Quote(tuple(lines), minutes, km)


def late_return_penalty(
    late_minutes: int, *, grace_minutes: int, per_started_half_hour: Decimal, vat_rate: Decimal
) -> QuoteLine | None:
    """The late-return penalty: an amount per started half hour after the
    grace period (none within it)."""
    if late_minutes <= grace_minutes:
        return None
    halves = math.ceil(late_minutes / 30)
    return QuoteLine(
        f"Late return ({late_minutes} min)",
        Decimal(halves),
        to_cents(per_started_half_hour),
        to_cents(per_started_half_hour * halves),
        vat_rate,
        "late_return",
    )
