"""Invoices of bookings: drafted from the final quote when a booking ends,
issued at once or queued for a manager's validation; managers add or
change lines of invoices not yet issued, and validate them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from flotte.accounts.models import Membership, User
from flotte.accounts.parameters import param_value
from flotte.accounts.selectors import require_manager_of_organisation
from flotte.billing import params
from flotte.billing.amounts import ZERO, LineInput, line_amounts, totals
from flotte.billing.issuing import issue
from flotte.billing.models import Invoice, InvoiceLine
from flotte.booking.lifecycle import final_quote
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, ValidationFailed
from flotte.pricing.engine import STANDARD_VAT_RATE, Quote, QuoteLine
from flotte.pricing.services import quote_if_priced

ENDED_STATES = (Booking.State.ENDED, Booking.State.CLOSED)

# The engine's line codes, as invoice kinds and French labels.
QUOTE_LINES: dict[str, tuple[str, str]] = {
    "time_day": (InvoiceLine.Kind.USAGE, "Temps de location"),
    "time_night": (InvoiceLine.Kind.USAGE, "Temps de location, tarif de nuit"),
    "time_weekend": (InvoiceLine.Kind.USAGE, "Temps de location, tarif du week-end"),
    "tier_discount": (InvoiceLine.Kind.USAGE, "Remise longue durée"),
    "day_cap": (InvoiceLine.Kind.USAGE, "Plafond journalier (forfait jour)"),
    "week_cap": (InvoiceLine.Kind.USAGE, "Plafond hebdomadaire"),
    "minimum": (InvoiceLine.Kind.USAGE, "Minimum de facturation"),
    "business_free": (InvoiceLine.Kind.USAGE, "Usage professionnel interne"),
    "distance": (InvoiceLine.Kind.KM, "Kilomètres facturés"),
}


def lock(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("organisation", "buyer", "credits")
        .get(pk=invoice.pk)
    )


def add_line(
    invoice: Invoice,
    kind: str,
    label: str,
    quantity: Decimal,
    *,
    unit: str = InvoiceLine.Unit.PIECE,
    **amounts: Decimal,
) -> InvoiceLine:
    last = max((line.position for line in invoice.lines.all()), default=0)
    values = line_amounts(quantity, **amounts)
    return InvoiceLine.objects.create(
        invoice=invoice,
        position=last + 1,
        kind=kind,
        label=label[:200],
        quantity=quantity,
        unit=unit,
        unit_price_incl_vat=values.unit_price_incl_vat,
        unit_price_excl_vat=values.unit_price_excl_vat,
        vat_rate=amounts["vat_rate"],
        amount_excl_vat=values.amount_excl_vat,
        vat_amount=values.vat_amount,
        amount_incl_vat=values.amount_incl_vat,
    )


def refresh_totals(invoice: Invoice) -> None:
    sums = totals(invoice.lines.all())
    if sums.incl_vat < 0:
        raise ValidationFailed("an invoice cannot total less than zero", code="negative_total")
    invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat = (
        sums.excl_vat,
        sums.vat,
        sums.incl_vat,
    )
    invoice.save(update_fields=["total_excl_vat", "total_vat", "total_incl_vat", "manually_edited"])


def _quote_line(invoice: Invoice, line: QuoteLine, km: int, *, no_show: bool = False) -> None:
    kind, label = QUOTE_LINES.get(line.code, (InvoiceLine.Kind.USAGE, line.label))
    if no_show:
        kind, label = InvoiceLine.Kind.NO_SHOW, f"Réservation non honorée : {label.lower()}"
    unit = InvoiceLine.Unit.PIECE
    if line.code == "flat_rate":
        label = f"Forfait {line.label}"
    elif line.code == "distance":
        label, unit = f"{label} ({km} km parcourus)", InvoiceLine.Unit.KM
    elif line.code.startswith("time_"):
        unit = InvoiceLine.Unit.HOUR
    add_line(
        invoice,
        kind,
        label,
        line.quantity.quantize(Decimal("0.0001")),
        unit=unit,
        unit_price_incl_vat=line.unit_price,
        vat_rate=line.vat_rate,
        amount_incl_vat=line.amount,
    )


def _description(booking: Booking) -> str:
    tz = zoneinfo.ZoneInfo(booking.organisation.time_zone)
    vehicle = booking.vehicle
    start = booking.start.astimezone(tz)
    return (
        f"Réservation n° {booking.pk} : {vehicle.make} {vehicle.model} ({vehicle.plate}), "
        f"du {start:%d/%m/%Y %H:%M}"
    )


@dataclass(frozen=True)
class Charges:
    quote: Quote | None
    extra: Sequence[tuple[str, str, Decimal]]
    service_end: dt.datetime
    no_show: bool = False

    @property
    def total(self) -> Decimal:
        quoted = self.quote.total if self.quote else ZERO
        return quoted + sum((amount for _, _, amount in self.extra), ZERO)


def _charges(booking: Booking, membership: Membership | None) -> Charges | None:
    """What a booking costs, by how it finished: the final quote and any
    late penalty when it ended; the late cancellation fee when cancelled;
    the booked time (no km) when it was never taken, if the organisation
    bills that. None when nothing is due."""
    group = membership.group if membership else None
    if booking.state in ENDED_STATES:
        if booking.ended_at is None:
            raise Conflict("only an ended booking is invoiced", code="not_ended")
        late = int((booking.ended_at - booking.end).total_seconds() // 60)
        penalty = booking.late_penalty or ZERO
        extra = (
            [
                (
                    InvoiceLine.Kind.LATE_PENALTY,
                    f"Pénalité de retard de restitution ({late} min)",
                    penalty,
                )
            ]
            if penalty
            else []
        )
        return Charges(final_quote(booking, group), extra, max(booking.end, booking.ended_at))
    if booking.state == Booking.State.CANCELLED:
        fee = booking.cancellation_fee or ZERO
        if not fee:
            return None
        label = "Frais d'annulation tardive"
        return Charges(None, [(InvoiceLine.Kind.CANCELLATION, label, fee)], booking.end)
    if booking.state == Booking.State.NO_SHOW:
        charge = param_value(params.NO_SHOW_CHARGE.key, organisation=booking.organisation)
        if charge == "none":
            return None
        _, booked = quote_if_priced(
            community=booking.community,
            group=group,
            start=booking.start,
            end=booking.end,
            km=0,
            business_use=booking.use == Booking.Use.BUSINESS,
        )
        return Charges(booked, [], booking.end, no_show=True)
    raise Conflict(f"a {booking.get_state_display()} booking is not invoiced", code="not_ended")


@transaction.atomic
def invoice_draft_for_booking(booking: Booking) -> Invoice | None:
    """The draft invoice of a booking that ended, was cancelled late or was
    never taken: the tariff's lines re-priced with the actual times and km
    (as when the booking ended), the late return penalty, the cancellation
    fee, or the booked time of a no-show. One invoice per booking: a second
    call returns the first. None when the organisation does not bill, or
    nothing is due."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("organisation", "community", "vehicle", "member")
        .get(pk=booking.pk)
    )
    existing = Invoice.objects.filter(booking=booking, kind=Invoice.Kind.INVOICE).first()
    if existing is not None:
        return existing
    if not param_value(params.BILLING_ENABLED.key, organisation=booking.organisation):
        return None
    membership = (
        Membership.objects.filter(user_id=booking.member_id, community=booking.community)
        .select_related("group")
        .first()
    )
    charges = _charges(booking, membership)
    if charges is None or charges.total <= 0:
        return None  # nothing to bill: no tariff, free business use, no fee
    business = booking.use == Booking.Use.BUSINESS
    cost_centre = booking.cost_centre or (membership.cost_centre if membership else "")
    invoice = Invoice(
        organisation=booking.organisation,
        booking=booking,
        buyer=booking.member,
        buyer_snapshot={
            "business": business,
            "cost_centre": cost_centre if business else "",
            "community": booking.community.name,
        },
        description=_description(booking),
        service_start=booking.start,
        service_end=charges.service_end,
        created_at=clock.now(),
    )
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:  # drafted meanwhile by another worker
        return Invoice.objects.get(booking=booking, kind=Invoice.Kind.INVOICE)
    for line in charges.quote.lines if charges.quote else ():
        _quote_line(invoice, line, booking.actual_km or 0, no_show=charges.no_show)
    for kind, label, amount in charges.extra:
        add_line(
            invoice,
            kind,
            label,
            Decimal("1"),
            unit_price_incl_vat=amount,
            vat_rate=STANDARD_VAT_RATE,
        )
    refresh_totals(invoice)
    audit(
        "invoice.drafted",
        invoice,
        data={"booking": booking.pk, "total_incl_vat": str(invoice.total_incl_vat)},
    )
    return invoice


@transaction.atomic
def invoice_issue_or_queue(invoice: Invoice) -> Invoice:
    """Issue a draft at once, unless the organisation wants its manager to
    validate invoices or a manager changed this one: then it waits in the
    validation queue."""
    invoice = lock(invoice)
    if invoice.state != Invoice.State.DRAFT:
        raise Conflict(f"a {invoice.get_state_display()} invoice is not a draft", code="not_draft")
    validation = param_value(params.MANAGER_VALIDATION.key, organisation=invoice.organisation)
    if validation or invoice.manually_edited:
        invoice.state = Invoice.State.PENDING_VALIDATION
        invoice.save(update_fields=["state"])
        audit(
            "invoice.queued",
            invoice,
            data={"why": "manually_edited" if invoice.manually_edited else "manager_validation"},
        )
        return invoice
    return issue(invoice, actor=None)


@transaction.atomic
def invoice_for_ended_booking(booking: Booking) -> Invoice | None:
    """What the end of a booking triggers (task ``billing.draft_for_booking``):
    draft its invoice, then issue it or queue it. Idempotent."""
    invoice = invoice_draft_for_booking(booking)
    if invoice is None or invoice.state != Invoice.State.DRAFT:
        return invoice
    return invoice_issue_or_queue(invoice)


def editable(invoice: Invoice, actor: User) -> Invoice:
    """The invoice locked, for a manager of its organisation, if it may
    still change: an issued one never does."""
    locked = lock(invoice)
    require_manager_of_organisation(actor, locked.organisation)
    if locked.state not in Invoice.EDITABLE:
        raise Conflict(
            f"{locked.number} is issued: correct it with a credit note", code="invoice_issued"
        )
    if locked.is_credit_note:
        raise Conflict("a credit note is issued as it is made", code="invoice_issued")
    return locked


@transaction.atomic
def invoice_line_add(*, actor: User, invoice: Invoice, line: LineInput) -> InvoiceLine:
    """A manager adds a line (cleaning, fuel, lost badge, damage...) to an
    invoice not yet issued; it then waits for validation."""
    invoice = editable(invoice, actor)
    line = line.checked()
    added = add_line(
        invoice,
        line.kind,
        line.label,
        line.quantity,
        unit_price_incl_vat=line.unit_price_incl_vat,
        vat_rate=line.vat_rate,
    )
    invoice.manually_edited = True
    refresh_totals(invoice)
    audit(
        "invoice.line_added",
        invoice,
        actor=actor,
        data={"line": added.position, "label": added.label, "amount": str(added.amount_incl_vat)},
    )
    return added


@transaction.atomic
def invoice_line_change(
    *, actor: User, invoice: Invoice, position: int, line: LineInput
) -> InvoiceLine:
    """A manager replaces a line of an invoice not yet issued."""
    invoice = editable(invoice, actor)
    line = line.checked()
    try:
        current = invoice.lines.get(position=position)
    except InvoiceLine.DoesNotExist:
        raise NotFound(f"no line {position} on this invoice") from None
    before = {"label": current.label, "amount": str(current.amount_incl_vat)}
    values = line_amounts(line.quantity, line.unit_price_incl_vat, line.vat_rate)
    current.kind, current.label, current.quantity, current.vat_rate = (
        line.kind,
        line.label,
        line.quantity,
        line.vat_rate,
    )
    current.unit_price_incl_vat = values.unit_price_incl_vat
    current.unit_price_excl_vat = values.unit_price_excl_vat
    current.amount_excl_vat = values.amount_excl_vat
    current.vat_amount = values.vat_amount
    current.amount_incl_vat = values.amount_incl_vat
    current.save()
    invoice.manually_edited = True
    refresh_totals(invoice)
    after = {"label": current.label, "amount": str(current.amount_incl_vat)}
    audit(
        "invoice.line_changed",
        invoice,
        actor=actor,
        data={"line": position, "before": before, "after": after},
    )
    return current


@transaction.atomic
def invoice_line_remove(*, actor: User, invoice: Invoice, position: int) -> Invoice:
    """A manager removes a line of an invoice not yet issued."""
    invoice = editable(invoice, actor)
    removed = invoice.lines.filter(position=position).first()
    if removed is None:
        raise NotFound(f"no line {position} on this invoice")
    removed.delete()
    invoice.manually_edited = True
    refresh_totals(invoice)
    audit(
        "invoice.line_removed",
        invoice,
        actor=actor,
        data={"line": position, "label": removed.label, "amount": str(removed.amount_incl_vat)},
    )
    return invoice


@transaction.atomic
def invoice_validate(*, actor: User, invoice: Invoice) -> Invoice:
    """A manager issues an invoice waiting in the queue (or a draft)."""
    invoice = editable(invoice, actor)
    audit("invoice.validated", invoice, actor=actor)
    return issue(invoice, actor=actor)
