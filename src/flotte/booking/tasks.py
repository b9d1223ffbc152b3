"""Background tasks of bookings."""

from __future__ import annotations

import datetime as dt

from flotte.core.tasks import task


@task("booking.no_show_sweep", every=dt.timedelta(minutes=5))
def no_show_sweep() -> int:
    from flotte.booking.lifecycle import no_show_sweep as sweep

    return sweep()


@task("booking.late_return_sweep", every=dt.timedelta(minutes=5))
def late_return_sweep() -> int:
    from flotte.booking.transfers import late_return_sweep as sweep

    return sweep()
