"""Business time: every "now" of the domain comes from here, so that tests can
move the clock and nothing reads the wall clock behind our back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return _frozen if _frozen is not None else timezone.now()


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Make ``now()`` return ``at`` inside the block (tests, replays)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("the clock only takes aware datetimes")
    previous, _frozen = _frozen, at.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = previous


def today_in(time_zone: str) -> dt.date:
    """The calendar date in a community's time zone."""
    import zoneinfo

    return now().astimezone(zoneinfo.ZoneInfo(time_zone)).date()
