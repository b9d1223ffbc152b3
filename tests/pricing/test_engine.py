from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flotte.pricing.engine import (
    FlatRate,
    TariffRules,
    Tier,
    billed_minutes,
    late_return_penalty,
    quote,
)

PARIS = "Europe/Paris"
TZ = zoneinfo.ZoneInfo(PARIS)
D = Decimal


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


BASIC = TariffRules(hourly_rate=D("4.00"), km_rate=D("0.30"))


def codes(q: object) -> dict[str, Decimal]:
    return {line.code: line.amount for line in q.lines}  # type: ignore[attr-defined]


def test_the_first_hour_is_billed_in_full_then_by_started_quarter() -> None:
    assert billed_minutes(BASIC, 10) == 60
    assert billed_minutes(BASIC, 60) == 60
    assert billed_minutes(BASIC, 61) == 75
    assert billed_minutes(BASIC, 90) == 90
    q = quote(BASIC, at(2026, 5, 12, 9, 0), at(2026, 5, 12, 10, 20), 0, PARIS)
    assert q.billed_minutes == 90
    assert q.total == D("6.00")


def test_distance_is_billed_beyond_the_included_km() -> None:
    rules = TariffRules(hourly_rate=D("4.00"), km_rate=D("0.30"), included_km_per_day=20)
    q = quote(rules, at(2026, 5, 12, 9), at(2026, 5, 12, 11), 55, PARIS)
    assert codes(q) == {"time_day": D("8.00"), "distance": D("10.50")}
    within = quote(rules, at(2026, 5, 12, 9), at(2026, 5, 12, 11), 20, PARIS)
    assert "distance" not in codes(within)


def test_a_longer_booking_includes_more_km_and_may_cost_less_for_it() -> None:
    """Free km come per started day: the extra day's allowance can outweigh
    a cheap extra hour. Managers setting included km should know it."""
    rules = TariffRules(hourly_rate=D("0.50"), km_rate=D("0.30"), included_km_per_day=50)
    one_day = quote(rules, at(2026, 5, 12, 9), at(2026, 5, 13, 9), 100, PARIS)
    a_bit_more = quote(rules, at(2026, 5, 12, 9), at(2026, 5, 13, 10), 100, PARIS)
    assert codes(one_day)["distance"] == D("15.00")
    assert "distance" not in codes(a_bit_more)
    assert a_bit_more.total < one_day.total


def test_night_and_weekend_rates_follow_the_local_clock() -> None:
    rules = TariffRules(hourly_rate=D("4.00"), night_rate=D("1.00"), weekend_rate=D("5.00"))
    # Tuesday 20:00-23:00: one hour of day, two of night.
    q = quote(rules, at(2026, 5, 12, 20), at(2026, 5, 12, 23), 0, PARIS)
    assert codes(q) == {"time_day": D("4.00"), "time_night": D("2.00")}
    # Saturday 10:00-12:00: weekend rate.
    q = quote(rules, at(2026, 5, 16, 10), at(2026, 5, 16, 12), 0, PARIS)
    assert codes(q) == {"time_weekend": D("10.00")}


def test_the_same_utc_booking_is_priced_by_the_communitys_time_zone() -> None:
    rules = TariffRules(hourly_rate=D("4.00"), night_rate=D("1.00"))
    start = dt.datetime(2026, 5, 12, 19, 0, tzinfo=dt.UTC)  # 21:00 in Paris
    end = start + dt.timedelta(hours=2)
    assert quote(rules, start, end, 0, PARIS).total == D("2.00")
    assert quote(rules, start, end, 0, "UTC").total == D("8.00")


def test_a_night_losing_an_hour_to_daylight_saving_is_billed_its_real_length() -> None:
    # 29 March 2026: clocks go from 02:00 to 03:00 in Paris.
    q = quote(BASIC, at(2026, 3, 28, 22), at(2026, 3, 29, 6), 0, PARIS)
    assert q.billed_minutes == 7 * 60
    assert q.total == D("28.00")
    # 25 October 2026: 03:00 back to 02:00, the night lasts nine hours.
    q = quote(BASIC, at(2026, 10, 24, 22), at(2026, 10, 25, 6), 0, PARIS)
    assert q.billed_minutes == 9 * 60
    assert q.total == D("36.00")


def test_the_daily_cap_limits_each_24_hours() -> None:
    rules = TariffRules(hourly_rate=D("4.00"), day_cap=D("35.00"))
    q = quote(rules, at(2026, 5, 12, 9), at(2026, 5, 14, 9), 0, PARIS)
    assert q.total == D("70.00")
    assert codes(q)["day_cap"] == D("-122.00")
    # 26 hours: a capped day, then two hours.
    q = quote(rules, at(2026, 5, 12, 9), at(2026, 5, 13, 11), 0, PARIS)
    assert q.total == D("43.00")


def test_the_weekly_cap_applies_after_the_daily_caps() -> None:
    rules = TariffRules(hourly_rate=D("4.00"), day_cap=D("35.00"), week_cap=D("150.00"))
    q = quote(rules, at(2026, 5, 4, 9), at(2026, 5, 11, 9), 0, PARIS)
    assert q.total == D("150.00")
    assert codes(q)["week_cap"] == D("-95.00")


def test_long_booking_tiers_discount_the_hours_beyond_their_threshold() -> None:
    rules = TariffRules(hourly_rate=D("4.00"), tiers=(Tier(2, D("50")),))
    q = quote(rules, at(2026, 5, 12, 9), at(2026, 5, 12, 13), 0, PARIS)
    assert codes(q) == {"time_day": D("16.00"), "tier_discount": D("-4.00")}


def test_a_cheaper_package_replaces_the_time_price() -> None:
    rules = TariffRules(
        hourly_rate=D("4.00"),
        km_rate=D("0.30"),
        flat_rates=(FlatRate("Soirée", 6 * 60, D("15.00"), included_km=50),),
    )
    q = quote(rules, at(2026, 5, 12, 18), at(2026, 5, 12, 23), 60, PARIS)
    assert codes(q) == {"flat_rate": D("15.00"), "distance": D("3.00")}
    short = quote(rules, at(2026, 5, 12, 18), at(2026, 5, 12, 19), 0, PARIS)
    assert codes(short) == {"time_day": D("4.00")}
    too_long = quote(rules, at(2026, 5, 12, 9), at(2026, 5, 12, 17), 0, PARIS)
    assert "flat_rate" not in codes(too_long)


def test_a_package_with_a_time_window_prices_only_bookings_inside_it() -> None:
    evening = FlatRate("Soirée", 5 * 60, D("12.00"), from_time=dt.time(18), until_time=dt.time(23))
    rules = TariffRules(hourly_rate=D("4.00"), flat_rates=(evening,))
    inside = quote(rules, at(2026, 5, 12, 18), at(2026, 5, 12, 23), 0, PARIS)
    assert codes(inside) == {"flat_rate": D("12.00")}
    # The same five hours in the afternoon, or overrunning 23:00: time price.
    afternoon = quote(rules, at(2026, 5, 12, 13), at(2026, 5, 12, 18), 0, PARIS)
    assert codes(afternoon) == {"time_day": D("20.00")}
    overrun = quote(rules, at(2026, 5, 12, 19), at(2026, 5, 12, 23, 30), 0, PARIS)
    assert "flat_rate" not in codes(overrun)
    # Without the window the afternoon would have taken the package.
    unbounded = TariffRules(hourly_rate=D("4.00"), flat_rates=(FlatRate("Soirée", 300, D("12")),))
    assert "flat_rate" in codes(
        quote(unbounded, at(2026, 5, 12, 13), at(2026, 5, 12, 18), 0, PARIS)
    )


def test_a_package_window_may_run_past_midnight_in_local_time() -> None:
    night = FlatRate("Nuit", 12 * 60, D("10.00"), from_time=dt.time(22), until_time=dt.time(8))
    rules = TariffRules(hourly_rate=D("4.00"), flat_rates=(night,))
    assert "flat_rate" in codes(quote(rules, at(2026, 5, 12, 22), at(2026, 5, 13, 7), 0, PARIS))
    # Starting after midnight still lies in the night that began the day before.
    assert "flat_rate" in codes(quote(rules, at(2026, 5, 13, 1), at(2026, 5, 13, 6), 0, PARIS))
    assert "flat_rate" not in codes(quote(rules, at(2026, 5, 12, 20), at(2026, 5, 13, 6), 0, PARIS))
    # 22:00 in Paris in summer is 20:00 UTC: the window is read in local time.
    utc_start = dt.datetime(2026, 5, 12, 20, tzinfo=dt.UTC)
    assert "flat_rate" in codes(
        quote(rules, utc_start, utc_start + dt.timedelta(hours=3), 0, PARIS)
    )


def test_a_package_window_needs_both_ends() -> None:
    with pytest.raises(ValueError, match="both"):
        FlatRate("Soirée", 300, D("12"), from_time=dt.time(18))
    with pytest.raises(ValueError, match="same time"):
        FlatRate("Soirée", 300, D("12"), from_time=dt.time(18), until_time=dt.time(18))


def test_the_minimum_charge_tops_up_a_small_booking() -> None:
    rules = TariffRules(hourly_rate=D("2.00"), minimum_charge=D("5.00"))
    q = quote(rules, at(2026, 5, 12, 9), at(2026, 5, 12, 10), 0, PARIS)
    assert codes(q) == {"time_day": D("2.00"), "minimum": D("3.00")}
    assert q.total == D("5.00")


def test_internal_business_use_is_free_only_when_the_tariff_says_so() -> None:
    free = TariffRules(hourly_rate=D("4.00"), free_business_use=True)
    q = quote(free, at(2026, 5, 12, 9), at(2026, 5, 12, 12), 40, PARIS, business_use=True)
    assert q.total == D("0")
    assert quote(free, at(2026, 5, 12, 9), at(2026, 5, 12, 12), 40, PARIS).total == D("12.00")
    paying = TariffRules(hourly_rate=D("4.00"))
    q = quote(paying, at(2026, 5, 12, 9), at(2026, 5, 12, 12), 0, PARIS, business_use=True)
    assert q.total == D("12.00")


def test_impossible_bookings_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        quote(BASIC, dt.datetime(2026, 5, 12, 9), at(2026, 5, 12, 10), 0, PARIS)
    with pytest.raises(ValueError, match="ends after"):
        quote(BASIC, at(2026, 5, 12, 9), at(2026, 5, 12, 9), 0, PARIS)
    with pytest.raises(ValueError, match="km"):
        quote(BASIC, at(2026, 5, 12, 9), at(2026, 5, 12, 10), -1, PARIS)
    with pytest.raises(ValueError, match="non-negative"):
        TariffRules(hourly_rate=D("-1"))


def test_late_return_costs_per_started_half_hour_after_the_grace_period() -> None:
    args = {"grace_minutes": 10, "per_started_half_hour": D("10.00"), "vat_rate": D("20")}
    assert late_return_penalty(10, **args) is None
    line = late_return_penalty(11, **args)
    assert line is not None and line.amount == D("10.00")
    line = late_return_penalty(61, **args)
    assert line is not None and (line.quantity, line.amount) == (D(3), D("30.00"))


# Properties

money = st.decimals(min_value=D("0.00"), max_value=D("30.00"), places=2)
rules_strategy = st.builds(
    TariffRules,
    hourly_rate=money,
    km_rate=st.decimals(min_value=D("0"), max_value=D("1"), places=2),
    step_minutes=st.sampled_from([1, 5, 15, 30, 60]),
    first_block_minutes=st.sampled_from([0, 30, 60]),
    night_rate=st.none() | money,
    weekend_rate=st.none() | money,
    day_cap=st.none() | st.decimals(min_value=D("10"), max_value=D("80"), places=2),
    week_cap=st.none() | st.decimals(min_value=D("80"), max_value=D("300"), places=2),
    included_km_per_day=st.integers(0, 100),
    minimum_charge=st.decimals(min_value=D("0"), max_value=D("10"), places=2),
    tiers=st.lists(
        st.builds(Tier, st.integers(1, 72), st.decimals(min_value=0, max_value=60, places=0)),
        max_size=2,
    ).map(tuple),
    flat_rates=st.lists(
        st.builds(
            FlatRate, st.just("Forfait"), st.integers(60, 24 * 60), money, st.integers(0, 200)
        ),
        max_size=2,
    ).map(tuple),
)
# Bookings are stored in UTC; arithmetic on them is real time (wall-clock
# arithmetic on Paris times would invent hours on daylight-saving days).
starts = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),
    max_value=dt.datetime(2027, 12, 31),
    timezones=st.just(dt.UTC),
)
durations = st.integers(min_value=1, max_value=10 * 24 * 60)


@settings(max_examples=150, deadline=None)
@given(rules_strategy, starts, durations, st.integers(0, 2000))
def test_lines_are_rounded_to_the_cent_and_sum_to_the_total(
    rules: TariffRules, start: dt.datetime, minutes: int, km: int
) -> None:
    q = quote(rules, start, start + dt.timedelta(minutes=minutes), km, PARIS)
    assert all(line.amount == line.amount.quantize(D("0.01")) for line in q.lines)
    assert sum(line.amount for line in q.lines) == q.total
    assert q.total >= rules.minimum_charge


@settings(max_examples=150, deadline=None)
@given(rules_strategy, starts, durations)
def test_caps_hold(rules: TariffRules, start: dt.datetime, minutes: int) -> None:
    q = quote(rules, start, start + dt.timedelta(minutes=minutes), 0, PARIS)
    days = -(-q.billed_minutes // (24 * 60))
    weeks = -(-q.billed_minutes // (7 * 24 * 60))
    cent_slack = D("0.01") * len(q.lines)
    time_total = q.total - sum(line.amount for line in q.lines if line.code == "minimum")
    if rules.day_cap is not None:
        assert time_total <= rules.day_cap * days + cent_slack
    if rules.week_cap is not None:
        assert time_total <= rules.week_cap * weeks + cent_slack


@settings(max_examples=150, deadline=None)
@given(
    rules_strategy,
    starts,
    durations,
    st.integers(1, 24 * 60),
    st.integers(0, 500),
    st.integers(0, 500),
)
def test_a_longer_or_farther_booking_never_costs_less(
    rules: TariffRules, start: dt.datetime, minutes: int, more: int, km: int, more_km: int
) -> None:
    """Caps, tiers and packages lower the price of the extra time, never the
    price of what came before. (Included km per day are the one exception,
    tested on their own below.)"""
    rules = dataclasses.replace(rules, included_km_per_day=0)
    shorter = quote(rules, start, start + dt.timedelta(minutes=minutes), km, PARIS)
    longer = quote(rules, start, start + dt.timedelta(minutes=minutes + more), km + more_km, PARIS)
    # Each line is rounded on its own: a few cents of rounding may go either way.
    assert longer.total >= shorter.total - D("0.01") * (len(shorter.lines) + len(longer.lines))


@settings(max_examples=100, deadline=None)
@given(rules_strategy, starts, durations, st.integers(0, 500))
def test_the_quote_equals_the_final_price_when_the_trip_goes_as_booked(
    rules: TariffRules, start: dt.datetime, minutes: int, km: int
) -> None:
    end = start + dt.timedelta(minutes=minutes)
    booked = quote(rules, start.astimezone(TZ), end.astimezone(TZ), km, PARIS)
    # The final price is computed later from the same instants, as stored in UTC.
    final = quote(rules, start, end, km, PARIS)
    assert booked == final
