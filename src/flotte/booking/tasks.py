"""Background tasks of bookings."""

from __future__ import annotations

import datetime as dt

from flotte.core.tasks import task


@task("booking.no_show_sweep", every=dt.timedelta(minutes=5))
def no_show_sweep() -> int:
    from flotte.booking.lifecycle import no_show_sweep as sweep

    return sweep()
