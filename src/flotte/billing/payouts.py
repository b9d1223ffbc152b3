"""Payouts to the organisation: a statement per period (a month or a
fortnight, in the organisation's time zone) of what was collected for it by
card, less refunds and payment fees, and an optional Stripe Connect
transfer of the net.

A statement is final once made. It lists every payment and refund it
counts (one line each, and the database refuses to count one twice), so
whatever changes afterwards is counted by the next statement: a payment or
refund recorded after its period's statement was made ("late"), and the
change of a fee already counted (Stripe's actual fee replacing the
estimate)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Min, Q, QuerySet, Sum

from flotte.accounts.models import Organisation, User
from flotte.accounts.parameters import organisation_param_values, param_value
from flotte.accounts.selectors import require_manager_of_organisation
from flotte.billing import params
from flotte.billing.models import Invoice, Payment, PayoutLine, PayoutStatement, Refund
from flotte.billing.payments.providers import ProviderUnavailable, payment_provider
from flotte.billing.periods import natural_period, payout_period_kind, period_starting
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, ServiceError, ValidationFailed

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
CONNECT_ACCOUNT = re.compile(r"acct_[A-Za-z0-9]{1,64}")
NO_INVOICE = "(sans facture)"


class TransferUnavailable(ServiceError):
    status = 503
    code = "payment_provider_unavailable"


# -- statements ----------------------------------------------------------


@transaction.atomic
def payout_statement_create(
    *, actor: User | None, organisation: Organisation, period_start: dt.date
) -> PayoutStatement:
    """The statement of the period starting on ``period_start``, made once
    the period has ended; asking again gives the same statement. ``actor``
    is None for the scheduler."""
    if actor is not None:
        require_manager_of_organisation(actor, organisation)
    # One statement of an organisation at a time: what one counts, the next
    # sees as counted.
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    existing = PayoutStatement.objects.filter(
        organisation=organisation, period_start=period_start
    ).first()
    if existing is not None:
        return existing
    period = period_starting(organisation, period_start)
    if period.ends_at > clock.now():
        raise Conflict(
            f"the period {period.start.isoformat()} to {period.end.isoformat()} has not ended",
            code="period_not_ended",
        )
    overlapping = PayoutStatement.objects.filter(
        organisation=organisation, period_start__lte=period.end, period_end__gte=period.start
    ).first()
    if overlapping is not None:
        raise Conflict(
            f"a statement already covers {overlapping.period_start.isoformat()} to "
            f"{overlapping.period_end.isoformat()}",
            code="period_overlaps",
        )
    statement = PayoutStatement.objects.create(
        organisation=organisation,
        period=period.kind,
        period_start=period.start,
        period_end=period.end,
        time_zone=period.time_zone,
        starts_at=period.starts_at,
        ends_at=period.ends_at,
        created_at=clock.now(),
        created_by=actor,
    )
    lines = PayoutLine.objects.bulk_create(_lines(statement))
    statement.gross = sum((ln.amount for ln in lines if ln.kind == PayoutLine.Kind.PAYMENT), ZERO)
    statement.refunds = sum((ln.amount for ln in lines if ln.kind == PayoutLine.Kind.REFUND), ZERO)
    statement.fees = sum((ln.fee for ln in lines), ZERO)
    statement.net = statement.gross - statement.refunds - statement.fees
    if statement.net <= 0:
        statement.transfer_state = PayoutStatement.TransferState.NOT_NEEDED
    statement.save()
    audit(
        "payout_statement.created",
        statement,
        actor=actor,
        data={
            "period": f"{statement.period_start.isoformat()}/{statement.period_end.isoformat()}",
            "gross": str(statement.gross),
            "refunds": str(statement.refunds),
            "fees": str(statement.fees),
            "net": str(statement.net),
            "lines": len(lines),
        },
    )
    return statement


def _lines(statement: PayoutStatement) -> list[PayoutLine]:
    """What the statement counts: the payments and refunds that succeeded
    before its end and no statement counted yet, from its start, or from
    the start of the organisation's first statement when recorded late; and
    the change of fees already counted."""
    organisation = statement.organisation_id
    first = PayoutStatement.objects.filter(organisation_id=organisation).aggregate(
        first=Min("starts_at")
    )["first"]
    since = min(first or statement.starts_at, statement.starts_at)
    lines: list[PayoutLine] = []
    payments = (
        Payment.objects.filter(
            organisation_id=organisation,
            state=Payment.State.SUCCEEDED,
            succeeded_at__gte=since,
            succeeded_at__lt=statement.ends_at,
        )
        .exclude(payout_lines__kind=PayoutLine.Kind.PAYMENT)
        .order_by("succeeded_at", "id")
    )
    for payment in payments:
        assert payment.succeeded_at is not None
        lines.append(
            PayoutLine(
                statement=statement,
                kind=PayoutLine.Kind.PAYMENT,
                payment=payment,
                invoice_id=payment.invoice_id,
                occurred_at=payment.succeeded_at,
                late=payment.succeeded_at < statement.starts_at,
                amount=payment.amount_received,
                fee=payment.fee,
            )
        )
    refunds = (
        Refund.objects.filter(
            organisation_id=organisation,
            state=Refund.State.SUCCEEDED,
            succeeded_at__gte=since,
            succeeded_at__lt=statement.ends_at,
        )
        .exclude(payout_lines__kind=PayoutLine.Kind.REFUND)
        .select_related("payment")
        .order_by("succeeded_at", "id")
    )
    for refund in refunds:
        assert refund.succeeded_at is not None
        lines.append(
            PayoutLine(
                statement=statement,
                kind=PayoutLine.Kind.REFUND,
                payment_id=refund.payment_id,
                refund=refund,
                invoice_id=refund.payment.invoice_id,
                credit_note_id=refund.credit_note_id,
                occurred_at=refund.succeeded_at,
                late=refund.succeeded_at < statement.starts_at,
                amount=refund.amount,
            )
        )
    changed = (
        Payment.objects.filter(organisation_id=organisation, payout_lines__isnull=False)
        .annotate(counted=Sum("payout_lines__fee"))
        .filter(~Q(fee=F("counted")))
        .order_by("succeeded_at", "id")
    )
    now = clock.now()
    for payment in changed:
        lines.append(
            PayoutLine(
                statement=statement,
                kind=PayoutLine.Kind.FEE_ADJUSTMENT,
                payment=payment,
                invoice_id=payment.invoice_id,
                occurred_at=now,
                late=True,
                fee=payment.fee - payment.counted,
            )
        )
    return lines


# -- what a statement shows ---------------------------------------------


@dataclass(frozen=True)
class InvoiceEntry:
    """One invoice of a statement: what the statement counts of it."""

    invoice: Invoice | None
    collected: Decimal
    refunded: Decimal
    fees: Decimal
    credit_notes: tuple[str, ...]

    @property
    def net(self) -> Decimal:
        return self.collected - self.refunded - self.fees

    @property
    def number(self) -> str:
        return (self.invoice.number or "") if self.invoice else NO_INVOICE

    @property
    def buyer(self) -> str:
        return str(self.invoice.buyer_snapshot.get("name", "")) if self.invoice else ""


def statement_invoices(statement: PayoutStatement) -> list[InvoiceEntry]:
    """The invoices whose payments and refunds the statement counts, in
    number order; their sums are the statement's totals."""
    lines = statement.lines.select_related("invoice", "credit_note")
    grouped: dict[int | None, list[PayoutLine]] = {}
    for line in lines:
        grouped.setdefault(line.invoice_id, []).append(line)
    entries = [_entry(group) for group in grouped.values()]
    return sorted(entries, key=_in_number_order)


def _in_number_order(entry: InvoiceEntry) -> tuple[bool, int]:
    """Invoices by their place in the sequence; money without an invoice
    last."""
    if entry.invoice is None:
        return (True, 0)
    return (False, entry.invoice.sequence or 0)


def _entry(lines: list[PayoutLine]) -> InvoiceEntry:
    notes = sorted({ln.credit_note.number or "" for ln in lines if ln.credit_note})
    return InvoiceEntry(
        invoice=lines[0].invoice,
        collected=sum((ln.amount for ln in lines if ln.kind == PayoutLine.Kind.PAYMENT), ZERO),
        refunded=sum((ln.amount for ln in lines if ln.kind == PayoutLine.Kind.REFUND), ZERO),
        fees=sum((ln.fee for ln in lines), ZERO),
        credit_notes=tuple(notes),
    )


def payout_statements_of(*, actor: User, organisation: Organisation) -> QuerySet[PayoutStatement]:
    require_manager_of_organisation(actor, organisation)
    return PayoutStatement.objects.filter(organisation=organisation)


def payout_statement_of(
    *, actor: User, organisation: Organisation, statement_id: int
) -> PayoutStatement:
    """One statement of the organisation, for its managers; 404 for a
    statement of another organisation."""
    try:
        return payout_statements_of(actor=actor, organisation=organisation).get(pk=statement_id)
    except PayoutStatement.DoesNotExist:
        raise NotFound("no such payout statement") from None


# -- Stripe Connect transfer --------------------------------------------


# Stripe keeps an idempotency key for 24 hours: within that time a transfer
# asked again with the statement's key is the first one, given back.
KEY_LIFETIME = dt.timedelta(hours=23)
# A transfer asked this recently may still be on its way: not asked again.
IN_FLIGHT = dt.timedelta(minutes=1)


def payout_transfer(*, actor: User | None, statement: PayoutStatement) -> PayoutStatement:
    """Transfer the statement's net to the organisation's Stripe Connect
    account (parameter ``payout_connect_account``). Never twice: a
    transferred statement is returned as it is, and the idempotency key
    names the statement, so a retry after a lost answer or an outage gets
    the first transfer back from Stripe. A net of zero or less transfers
    nothing. The request is recorded (state ``pending``) before it is sent,
    so that an attempt whose answer was lost is known."""
    statement, account = _transfer_prepare(actor, statement)
    if account is None:
        return statement
    try:
        ref = payment_provider().transfer_create(
            destination=account,
            amount=statement.net,
            currency=statement.currency,
            description=(
                f"Flotte : reversement du {statement.period_start:%d/%m/%Y} au "
                f"{statement.period_end:%d/%m/%Y}"
            ),
            idempotency_key=f"flotte-{statement.organisation_id}-payout-{statement.pk}",
        )
    except ProviderUnavailable as exc:
        _transfer_record(actor, statement, ref=None, error=str(exc)[:300] or "unavailable")
        raise TransferUnavailable(f"the payment provider refused or is unreachable: {exc}") from exc
    return _transfer_record(actor, statement, ref=ref, error="")


@transaction.atomic
def _transfer_prepare(
    actor: User | None, statement: PayoutStatement
) -> tuple[PayoutStatement, str | None]:
    statement = (
        PayoutStatement.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=statement.pk)
    )
    organisation = statement.organisation
    if actor is not None:
        require_manager_of_organisation(actor, organisation)
    state = statement.transfer_state
    if state in (
        PayoutStatement.TransferState.SUCCEEDED,
        PayoutStatement.TransferState.NOT_NEEDED,
    ):
        return statement, None
    now = clock.now()
    asked = statement.transfer_requested_at
    if state == PayoutStatement.TransferState.PENDING and asked and now - asked < IN_FLIGHT:
        raise Conflict("this transfer is being sent", code="transfer_in_progress")
    if asked is not None and now - asked > KEY_LIFETIME:
        # An earlier attempt may have reached Stripe; its key has expired,
        # so a new request could transfer a second time.
        raise Conflict(
            "an earlier transfer attempt is unconfirmed and too old to be retried safely: "
            "check the Stripe dashboard",
            code="transfer_unconfirmed",
        )
    account = str(param_value(params.PAYOUT_CONNECT_ACCOUNT.key, organisation=organisation))
    if not account:
        raise Conflict(
            "the organisation has no Stripe Connect account (payout_connect_account)",
            code="no_connect_account",
        )
    if not CONNECT_ACCOUNT.fullmatch(account):
        raise ValidationFailed(
            f"payout_connect_account {account!r} is not a Stripe account id (acct_...)",
            code="bad_connect_account",
        )
    if statement.transfer_destination and statement.transfer_destination != account:
        raise Conflict(
            f"this transfer was first asked for {statement.transfer_destination}",
            code="transfer_destination_changed",
        )
    statement.transfer_state = PayoutStatement.TransferState.PENDING
    statement.transfer_destination = account
    statement.transfer_requested_at = asked or now
    statement.save(
        update_fields=["transfer_state", "transfer_destination", "transfer_requested_at"]
    )
    audit(
        "payout_statement.transfer_requested",
        statement,
        actor=actor,
        data={"destination": account, "amount": str(statement.net)},
    )
    return statement, account


@transaction.atomic
def _transfer_record(
    actor: User | None, statement: PayoutStatement, *, ref: str | None, error: str
) -> PayoutStatement:
    statement = PayoutStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.transfer_state == PayoutStatement.TransferState.SUCCEEDED:
        return statement
    if ref is None:
        statement.transfer_state = PayoutStatement.TransferState.FAILED
        statement.transfer_error = error
    else:
        statement.transfer_state = PayoutStatement.TransferState.SUCCEEDED
        statement.transfer_ref = ref
        statement.transfer_error = ""
        statement.transferred_at = clock.now()
    statement.save(
        update_fields=["transfer_state", "transfer_ref", "transfer_error", "transferred_at"]
    )
    audit(
        f"payout_statement.transfer_{statement.transfer_state}",
        statement,
        actor=actor,
        data={"transfer": ref, "amount": str(statement.net), "error": error},
    )
    return statement


# -- the scheduler -------------------------------------------------------

CATCH_UP = 24  # periods made in one run at most, for an organisation far behind


def payout_statements_due() -> list[PayoutStatement]:
    """Make the statements of the periods that have ended, for every
    organisation that takes cards: the last ended period for a first
    statement, then every period after the latest statement. Runs across
    organisations (the periodic task)."""
    values = organisation_param_values(
        [params.CARD_PAYMENTS.key], Organisation.objects.values_list("pk", flat=True)
    )
    made: list[PayoutStatement] = []
    for organisation in Organisation.objects.filter(
        pk__in=[org for org, v in values.items() if v[params.CARD_PAYMENTS.key]]
    ).order_by("pk"):
        made.extend(_due_for(organisation))
    return made


def _due_for(organisation: Organisation) -> list[PayoutStatement]:
    kind = payout_period_kind(organisation)
    today = clock.today_in(organisation.time_zone)
    current = natural_period(kind, today, organisation.time_zone)
    latest = PayoutStatement.objects.filter(organisation=organisation).order_by("-period_end")
    last = latest.first()
    if last is None:
        start = natural_period(kind, current.start - dt.timedelta(days=1), current.time_zone).start
    else:
        start = last.period_end + dt.timedelta(days=1)
    made = []
    for _ in range(CATCH_UP):
        if start >= current.start:
            break
        try:
            statement = payout_statement_create(
                actor=None, organisation=organisation, period_start=start
            )
        except ServiceError as exc:
            log.warning("no payout statement for %s from %s: %s", organisation.pk, start, exc)
            break
        made.append(statement)
        start = statement.period_end + dt.timedelta(days=1)
    return made
