from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from flotte.core.tenancy import TenantManager


def amount(verbose_name: Any = None, **options: Any) -> models.DecimalField[Any, Any]:
    """Euros, to the cent."""
    return models.DecimalField(
        verbose_name, max_digits=12, decimal_places=2, default=Decimal("0"), **options
    )


class Invoice(models.Model):
    """An invoice or a credit note (avoir). A draft or a pending invoice may
    still change; once issued it is an immutable snapshot of its seller,
    buyer and lines, corrected only by credit notes and never deleted. The
    services enforce this; the database holds what it can (constraints)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        CREDIT_NOTE = "credit_note", _("credit note")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        PENDING_VALIDATION = "pending_validation", _("waiting for a manager's validation")
        ISSUED = "issued", _("issued")

    EDITABLE = (State.DRAFT, State.PENDING_VALIDATION)

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    # Place in the organisation's one gapless sequence, and the number as
    # printed (F-2026-000123, A-2026-000124): both set at issue.
    sequence = models.PositiveIntegerField(null=True, blank=True)
    # NULL rather than "" until issued, so that unnumbered drafts do not
    # collide in the unique constraint.
    number = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    booking = models.ForeignKey(
        "booking.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    credits = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        help_text=_("The invoice a credit note corrects."),
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices"
    )
    # Frozen at issue: legal name, address, SIREN, VAT number of the seller;
    # name, e-mail, business use and cost centre of the buyer.
    seller_snapshot = models.JSONField(default=dict, blank=True)
    buyer_snapshot = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    reason = models.TextField(
        blank=True, help_text=_("Why a credit note or an exceptional invoice.")
    )
    service_start = models.DateTimeField(null=True, blank=True)
    service_end = models.DateTimeField(null=True, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    total_excl_vat = amount(_("total excl. VAT"))
    total_vat = amount(_("VAT"))
    total_incl_vat = amount(_("total incl. VAT"))
    manually_edited = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    tenant_path = "organisation"
    objects = TenantManager["Invoice"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "state"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sequence"], name="invoice_sequence_per_org"
            ),
            models.UniqueConstraint(
                fields=["organisation", "number"], name="invoice_number_per_org"
            ),
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(kind="invoice", booking__isnull=False),
                name="one_invoice_per_booking",
            ),
            # Issued: numbered and dated. Not issued: no number yet.
            models.CheckConstraint(
                condition=(
                    Q(
                        state="issued",
                        sequence__isnull=False,
                        number__isnull=False,
                        issue_date__isnull=False,
                        due_date__isnull=False,
                        issued_at__isnull=False,
                    )
                    | (~Q(state="issued") & Q(sequence__isnull=True, number__isnull=True))
                ),
                name="invoice_numbered_when_issued",
            ),
            # A credit note names the invoice it corrects; an invoice does not.
            models.CheckConstraint(
                condition=Q(kind="credit_note", credits__isnull=False)
                | Q(kind="invoice", credits__isnull=True),
                name="credit_note_names_its_invoice",
            ),
            # Credit notes carry positive amounts too: the kind gives the sign.
            models.CheckConstraint(
                condition=Q(total_incl_vat__gte=0), name="invoice_total_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} draft {self.pk}"

    @property
    def is_issued(self) -> bool:
        return self.state == self.State.ISSUED

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def buyer_is_business(self) -> bool:
        return bool(self.buyer_snapshot.get("business"))


class InvoiceLine(models.Model):
    """One line. Prices are entered including VAT, as tariffs are; each
    line is rounded to the cent once (VAT taken out of the amount incl.
    VAT), and the invoice's totals are the sums of its lines."""

    class Kind(models.TextChoices):
        USAGE = "usage", _("time and packages")
        KM = "km", _("distance")
        LATE_PENALTY = "late_penalty", _("late return")
        CLEANING = "cleaning", _("cleaning")
        FUEL = "fuel", _("fuel or charging")
        LOST_BADGE = "lost_badge", _("lost badge")
        DAMAGE = "damage", _("damage excess")
        CANCELLATION = "cancellation", _("late cancellation")
        NO_SHOW = "no_show", _("booking not taken")
        OTHER = "other", _("other")

    class Unit(models.TextChoices):
        # UN/ECE Recommendation 20 codes, as Factur-X writes them.
        PIECE = "C62", _("unit")
        HOUR = "HUR", _("hour")
        KM = "KMT", _("km")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OTHER)
    label = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=12, decimal_places=4)
    unit = models.CharField(max_length=3, choices=Unit.choices, default=Unit.PIECE)
    unit_price_incl_vat = models.DecimalField(max_digits=12, decimal_places=4)
    unit_price_excl_vat = models.DecimalField(max_digits=12, decimal_places=4)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    amount_excl_vat = amount()
    vat_amount = amount()
    amount_incl_vat = amount()

    tenant_path = "invoice__organisation"
    objects = TenantManager["InvoiceLine"]()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="one_line_per_position"),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lt=100), name="invoice_line_vat_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount_incl_vat}"


class InvoiceCounter(models.Model):
    """The last number of an organisation's sequence. Issuing locks this
    row, so numbers follow each other without gaps even under load; a
    rolled-back issue rolls its number back with it."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="invoice_counter"
    )
    last_number = models.PositiveIntegerField(default=0)

    tenant_path = "organisation"
    objects = TenantManager["InvoiceCounter"]()

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.last_number}"
