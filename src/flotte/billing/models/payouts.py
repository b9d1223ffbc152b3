"""Payout statements: what the platform collected for an organisation over a
period (a month or a fortnight), less refunds and payment fees, and so owes
it. A statement is final once made: every payment and refund it counts is
listed on one of its lines, and a later change (a fee known only after the
statement, a payment recorded late) is counted by the next statement."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from flotte.billing.models.invoices import amount as money
from flotte.core.tenancy import TenantManager


class PayoutStatement(models.Model):
    class Period(models.TextChoices):
        MONTH = "month", _("month")
        FORTNIGHT = "fortnight", _("fortnight")

    class TransferState(models.TextChoices):
        NONE = "none", _("not transferred")
        NOT_NEEDED = "not_needed", _("nothing to transfer")
        PENDING = "pending", _("transfer sent, answer awaited")
        SUCCEEDED = "succeeded", _("transferred")
        FAILED = "failed", _("transfer failed, may be tried again")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="payout_statements"
    )
    period = models.CharField(max_length=10, choices=Period.choices)
    # Calendar days in the organisation's time zone, both included...
    period_start = models.DateField()
    period_end = models.DateField()
    time_zone = models.CharField(max_length=64)
    # ...and the same bounds as instants: [starts_at, ends_at).
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    currency = models.CharField(max_length=3, default="EUR")
    gross = money(_("gross collected"))
    refunds = money(_("refunds"))
    fees = money(_("payment fees"))
    net = money(_("net due to the organisation"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the scheduler made it."),
    )
    transfer_state = models.CharField(
        max_length=12, choices=TransferState.choices, default=TransferState.NONE
    )
    transfer_destination = models.CharField(max_length=100, blank=True)
    transfer_ref = models.CharField(max_length=100, null=True, blank=True, unique=True)
    transfer_error = models.CharField(max_length=300, blank=True)
    # When the transfer was first asked of the provider: its idempotency key
    # holds for 24 hours from then.
    transfer_requested_at = models.DateTimeField(null=True, blank=True)
    transferred_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["PayoutStatement"]()

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_start"], name="one_payout_statement_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start"), ends_at__gt=F("starts_at")),
                name="payout_period_not_empty",
            ),
            models.CheckConstraint(
                # Rounded: SQLite computes with binary floats.
                condition=Q(net=Round(F("gross") - F("refunds") - F("fees"), 2)),
                name="payout_net_is_gross_less_refunds_and_fees",
            ),
            models.CheckConstraint(
                condition=Q(gross__gte=0, refunds__gte=0), name="payout_amounts_positive"
            ),
            models.CheckConstraint(
                condition=~Q(transfer_state="succeeded") | Q(transfer_ref__isnull=False),
                name="payout_transfer_has_its_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.period_start}..{self.period_end}: {self.net}"


class PayoutLine(models.Model):
    """One movement a statement counts: a payment collected (its amount and
    fee), a refund given back, or the change of a fee already counted by an
    earlier statement (its estimate replaced by the actual fee)."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REFUND = "refund", _("refund")
        FEE_ADJUSTMENT = "fee_adjustment", _("fee adjustment")

    statement = models.ForeignKey(PayoutStatement, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, related_name="payout_lines"
    )
    refund = models.ForeignKey(
        "billing.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payout_lines",
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payout_lines",
    )
    credit_note = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occurred_at = models.DateTimeField()
    # Belongs to an earlier period, counted here because it was recorded
    # after that period's statement (or is a fee adjustment).
    late = models.BooleanField(default=False)
    amount = money(_("amount collected or refunded"))
    fee = money(_("payment fee, or its change"))

    tenant_path = "statement__organisation"
    objects = TenantManager["PayoutLine"]()

    class Meta:
        ordering = ["statement", "occurred_at", "id"]
        constraints = [
            # Each payment and each refund is counted by one statement only.
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind="payment"), name="payment_counted_once"
            ),
            models.UniqueConstraint(
                fields=["refund"], condition=Q(kind="refund"), name="refund_counted_once"
            ),
            models.CheckConstraint(
                condition=Q(kind="refund", refund__isnull=False)
                | (~Q(kind="refund") & Q(refund__isnull=True)),
                name="payout_refund_line_names_its_refund",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payout_line_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} (fee {self.fee})"
