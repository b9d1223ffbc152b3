"""Background tasks of billing."""

from __future__ import annotations

from flotte.core.tasks import task


@task("billing.draft_for_booking")
def draft_for_booking(booking_id: int) -> int | None:
    """Invoice a booking that has ended (enqueued when it ends): draft, then
    issue or queue for validation. Does nothing when the organisation does
    not bill. Returns the invoice's id."""
    from flotte.billing.services import invoice_for_ended_booking
    from flotte.booking.models import Booking

    invoice = invoice_for_ended_booking(Booking.objects.get(pk=booking_id))
    return invoice.pk if invoice is not None else None
