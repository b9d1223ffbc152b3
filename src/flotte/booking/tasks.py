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


@task("booking.send_transfer_email")
def send_transfer_email(transfer_id: int) -> None:
    """Tell the driver their booking moved to another vehicle."""
    from django.core.mail import send_mail
    from django.utils import translation
    from django.utils.translation import gettext as _

    from flotte.booking.models import Transfer

    transfer = Transfer.objects.select_related(
        "booking__member", "to_vehicle__home_station", "from_vehicle"
    ).get(pk=transfer_id)
    booking, vehicle = transfer.booking, transfer.to_vehicle
    if vehicle is None:
        return
    with translation.override(booking.member.language):
        send_mail(
            _("Your booking moved to another vehicle"),
            _(
                "Hello,\n\nYour booking of %(start)s now uses %(vehicle)s (%(plate)s) at "
                "%(station)s instead of %(previous)s: %(reason)s.\n"
            )
            % {
                "start": booking.start.isoformat(timespec="minutes"),
                "vehicle": f"{vehicle.make} {vehicle.model}",
                "plate": vehicle.plate,
                "station": vehicle.home_station.name,
                "previous": transfer.from_vehicle.plate,
                "reason": transfer.get_reason_display(),
            },
            None,
            [booking.member.email],
        )
