"""The seam through which the carpool app feeds the statistics.

The carpool app registers one function, ``register_carpool_source(source)``,
that answers, for an organisation and a period, the passengers carried and
the passenger-km shared per booking. Until it does, carpool figures are 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SharedRide:
    passengers: int  # people carried besides the driver
    passenger_km: float  # km each passenger rode, summed


CarpoolSource = Callable[[int, dt.datetime, dt.datetime], dict[int, SharedRide]]

_source: CarpoolSource | None = None


def register_carpool_source(source: CarpoolSource | None) -> None:
    """``source(organisation_id, start, end)`` returns ``{booking_id:
    SharedRide}`` for the bookings of the period; ``None`` unregisters."""
    global _source
    _source = source


def shared_rides(
    organisation_id: int, start: dt.datetime, end: dt.datetime
) -> dict[int, SharedRide]:
    if _source is None:
        return {}
    return _source(organisation_id, start, end)
