"""Payments and refunds: rows of their own, each with its state, mirroring
an object of the payment provider (a Stripe PaymentIntent, a Refund). An
invoice's paid state is derived from them, never stored on the invoice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from flotte.billing.models.invoices import amount as money
from flotte.core.tenancy import TenantManager


class PaymentProfile(models.Model):
    """A member's customer record at the payment provider for one
    organisation, and the card they saved there for off-session charges
    (brand, last four digits and expiry only: the card itself stays with
    the provider)."""

    class State(models.TextChoices):
        NONE = "none", _("no card")
        PENDING = "pending", _("card being saved")
        READY = "ready", _("card saved")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="payment_profiles"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_profiles"
    )
    provider = models.CharField(max_length=20)
    customer_ref = models.CharField(max_length=100, blank=True)
    setup_ref = models.CharField(max_length=100, blank=True)
    payment_method_ref = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NONE)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField()

    tenant_path = "organisation"
    objects = TenantManager["PaymentProfile"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user", "provider"], name="one_payment_profile"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.organisation_id}: {self.state}"


class Payment(models.Model):
    """One attempt to collect money: a charge of an invoice, or a
    pre-authorisation held on the card before a booking starts and captured
    when its invoice is issued. A retry is a new row; each row carries its
    own idempotency key, so a request repeated after a network failure
    never charges twice."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("charge")
        PREAUTH = "preauth", _("pre-authorisation")

    class State(models.TextChoices):
        CREATED = "created", _("created")
        PROCESSING = "processing", _("processing")
        AUTHORISED = "authorised", _("authorised, to be captured")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    # The states a payment can leave; the others are final, so a late or
    # replayed webhook never takes a payment back.
    OPEN = (State.CREATED, State.PROCESSING, State.AUTHORISED)
    FINAL = (State.SUCCEEDED, State.FAILED, State.CANCELLED)

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="payments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    booking = models.ForeignKey(
        "booking.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHARGE)
    state = models.CharField(max_length=12, choices=State.choices, default=State.CREATED)
    provider = models.CharField(max_length=20)
    provider_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    idempotency_key = models.CharField(max_length=100, unique=True)
    amount = money(_("amount"))
    # What was captured of a pre-authorisation, or collected by a charge.
    amount_received = money(_("amount received"))
    currency = models.CharField(max_length=3, default="EUR")
    fee = money(_("payment fee"))
    fee_is_estimate = models.BooleanField(default=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    failure_code = models.CharField(max_length=60, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["Payment"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "state"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"], name="one_payment_per_provider_object"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0, amount_received__gte=0, fee__gte=0),
                name="payment_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(invoice__isnull=False) | Q(booking__isnull=False),
                name="payment_for_invoice_or_booking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}: {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN


class Refund(models.Model):
    """Money given back on a succeeded payment, usually for a credit note."""

    class State(models.TextChoices):
        CREATED = "created", _("created")
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    OPEN = (State.CREATED, State.PENDING)
    FINAL = (State.SUCCEEDED, State.FAILED, State.CANCELLED)

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="refunds"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    credit_note = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.CREATED)
    provider_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    idempotency_key = models.CharField(max_length=100, unique=True)
    amount = money(_("amount"))
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["Refund"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount}: {self.state}"


class WebhookEvent(models.Model):
    """A provider's event, kept by its id: a replayed event is found here
    and dropped. The event is only a trigger; the object it names is read
    again from the provider."""

    provider = models.CharField(max_length=20)
    event_ref = models.CharField(max_length=100)
    kind = models.CharField(max_length=100)
    object_ref = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_ref"], name="one_webhook_event"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_ref} {self.kind}"
