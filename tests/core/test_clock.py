from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from flotte.core import clock


def test_frozen_clock_returns_utc_and_restores() -> None:
    paris = dt.datetime(2026, 3, 29, 3, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    with clock.frozen(paris):
        assert clock.now() == paris
        assert clock.now().tzinfo == dt.UTC
    assert abs(clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_frozen_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"), clock.frozen(dt.datetime(2026, 1, 1)):
        pass


def test_today_depends_on_the_time_zone() -> None:
    # 23:30 UTC on 31 December is already 1 January in Paris.
    with clock.frozen(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)):
        assert clock.today_in("Europe/Paris") == dt.date(2027, 1, 1)
        assert clock.today_in("America/Cayenne") == dt.date(2026, 12, 31)
