"""Where the rest of the platform tells members what happened: each hook
takes the domain object, gathers the values its event's templates use and
calls :func:`~flotte.notify.services.notify`. Called by the services inside
their transaction; the messages go out after commit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from flotte.accounts.parameters import ParamContext, param_value
from flotte.core.tenancy import cross_tenant
from flotte.notify import params
from flotte.notify.models import Notification
from flotte.notify.services import notify

if TYPE_CHECKING:
    from flotte.booking.models import Booking, Transfer


def booking_url(booking: Booking) -> str:
    return settings.PUBLIC_URL + reverse(
        "web:booking", kwargs={"slug": booking.community.slug, "booking_id": booking.pk}
    )


def booking_context(booking: Booking) -> dict[str, Any]:
    vehicle = booking.vehicle
    station = vehicle.home_station
    place = f"{station.postcode} {station.city}".strip()
    return {
        "booking_id": booking.pk,
        "start": booking.start,
        "end": booking.end,
        "vehicle": f"{vehicle.make} {vehicle.model}",
        "plate": vehicle.plate,
        "station": station.name,
        "station_address": ", ".join(part for part in (station.address, place) if part),
        "community": booking.community.name,
        "url": booking_url(booking),
    }


def _booking_event(event: str, booking: Booking, key: str = "", **extra: Any) -> None:
    notify(
        event,
        booking.member,
        booking.organisation,
        {**booking_context(booking), **extra},
        key=key,
    )


def booking_confirmed(booking: Booking) -> None:
    _booking_event("booking_confirmed", booking, key=f"booking:{booking.pk}")


def booking_changed(booking: Booking) -> None:
    _booking_event("booking_changed", booking)


def booking_cancelled(booking: Booking, *, by_member: bool) -> None:
    _booking_event(
        "booking_cancelled",
        booking,
        key=f"booking:{booking.pk}",
        fee=booking.cancellation_fee or 0,
        by_member=by_member,
    )


def booking_reminder(booking: Booking) -> list[Notification]:
    return notify(
        "booking_reminder",
        booking.member,
        booking.organisation,
        booking_context(booking),
        key=f"booking:{booking.pk}",
    )


def booking_transferred(transfer: Transfer) -> None:
    """The booking now uses ``transfer.to_vehicle``."""
    previous = transfer.from_vehicle
    _booking_event(
        "booking_transferred",
        transfer.booking,
        key=f"transfer:{transfer.pk}",
        previous_vehicle=f"{previous.make} {previous.model}",
        previous_plate=previous.plate,
        reason=transfer.reason,
    )


def vehicle_late_driver(booking: Booking, *, waiting: bool) -> None:
    """The driver of a trip past its end: bring the car back."""
    _booking_event("vehicle_late_driver", booking, key=f"late:{booking.pk}", waiting=waiting)


def vehicle_late_waiting(waiting: Booking) -> None:
    """A member whose booking's vehicle is not back, and which could not be
    moved to another one."""
    _booking_event(
        "vehicle_late_waiting",
        waiting,
        key=f"late:{waiting.pk}",
        support_phone=waiting.organisation.support_phone,
    )


def booking_no_show(booking: Booking) -> None:
    _booking_event("booking_no_show", booking, key=f"booking:{booking.pk}")


def trip_ended(booking: Booking) -> None:
    """Ask the driver how the trip went, where the organisation asks."""
    from flotte.notify.tokens import survey_token

    context = ParamContext(booking.organisation, booking.community)
    if not context.value(params.SURVEY_ENABLED.key):
        return
    link = settings.PUBLIC_URL + reverse(
        "notify:survey", kwargs={"token": survey_token(booking.pk)}
    )
    _booking_event(
        "trip_survey",
        booking,
        key=f"booking:{booking.pk}",
        survey_url=link,
        answer_days=param_value(params.SURVEY_ANSWER_DAYS.key, organisation=booking.organisation),
    )


def invoice_issued(invoice: Any) -> None:
    """An invoice or a credit note, issued to its buyer."""
    notify(
        "invoice_issued",
        invoice.buyer,
        invoice.organisation,
        {
            "invoice_id": invoice.pk,
            "number": invoice.number,
            "credit_note": invoice.kind == "credit_note",
            "total": invoice.total_incl_vat,
            "due_date": invoice.due_date,
            "url": f"{settings.PUBLIC_URL}/api/v1/invoices/{invoice.pk}/pdf",
        },
        key=f"invoice:{invoice.pk}",
    )


def _payment(payment_id: int) -> Any:
    # Billing's Payment, looked up by name: card payments live in billing,
    # which calls these hooks from its tasks.
    from django.apps import apps

    Payment = apps.get_model("billing", "Payment")
    with cross_tenant("a payment's member is told of its failure"):
        return Payment.objects.select_related(
            "invoice", "organisation", "user", "booking__vehicle__home_station"
        ).get(pk=payment_id)


def payment_failed(payment_id: int) -> None:
    """The member's card was refused for an invoice."""
    payment = _payment(payment_id)
    notify(
        "payment_failed",
        payment.user,
        payment.organisation,
        {
            "payment_id": payment.pk,
            "amount": payment.amount,
            "number": payment.invoice.number if payment.invoice else "",
            "reason": payment.failure_message or payment.failure_code,
        },
        key=f"payment:{payment.pk}",
    )


def preauth_failed(payment_id: int) -> None:
    """The platform cancelled a booking: its card could not be pre-authorised."""
    payment = _payment(payment_id)
    booking = payment.booking
    notify(
        "preauth_failed",
        payment.user,
        payment.organisation,
        {
            **booking_context(booking),
            "payment_id": payment.pk,
            "amount": payment.amount,
            "reason": payment.failure_message or payment.failure_code,
        },
        key=f"payment:{payment.pk}",
    )


def incident_managers(incident: Any) -> list[Any]:
    """Who handles an incident: the managers of the vehicle's organisation
    and those of the booking's community, less the person who reported it."""
    from django.db.models import Q

    from flotte.accounts.models import Membership, User

    managers = Q(managed_organisations__organisation_id=incident.organisation_id)
    if incident.booking_id is not None:
        managers |= Q(
            memberships__community_id=incident.booking.community_id,
            memberships__role=Membership.Role.MANAGER,
        )
    return list(
        User.objects.filter(managers, is_active=True)
        .exclude(pk=incident.reporter_id)
        .distinct()
        .order_by("pk")
    )


def incident_reported(incident: Any) -> None:
    """Every incident report (damage, accident, breakdown, dirt, ...) goes
    to the managers who handle it, by e-mail whatever they chose."""
    vehicle = incident.vehicle
    reporter = incident.reporter
    booking = incident.booking
    context: dict[str, Any] = {
        "incident_id": incident.pk,
        "kind": incident.kind,
        "description": incident.description,
        "vehicle": f"{vehicle.make} {vehicle.model}",
        "plate": vehicle.plate,
        "station": vehicle.home_station.name,
        "reporter": reporter.full_name or reporter.email,
        "reporter_email": reporter.email,
        "reported_at": incident.created_at,
        "booking_id": booking.pk if booking is not None else None,
        "booking_start": booking.start if booking is not None else None,
        "url": settings.PUBLIC_URL
        + reverse(
            "web:manage_incident",
            kwargs={"org_id": incident.organisation_id, "incident_id": incident.pk},
        ),
    }
    for manager in incident_managers(incident):
        notify(
            "incident_reported",
            manager,
            incident.organisation,
            context,
            key=f"incident:{incident.pk}",
        )
