"""API shapes. Inputs forbid unknown fields so that a typo is an error."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from ninja import Schema
from pydantic import ConfigDict, Field, ValidationInfo, field_validator


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class Patch(In):
    """A partial update: a field left out is kept. Only the fields named in
    ``nullable`` may be sent as null; for the others a null is refused here
    rather than reaching the database (a blank-allowed column skips the
    model's own null check)."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, str]


class MessageOut(Schema):
    message: str


# Auth
class TokenIn(In):
    email: str
    password: str
    name: str = Field(max_length=100)
    kind: str = "app"
    valid_days: int | None = None


class TokenCreatedOut(Schema):
    id: int
    token: str
    prefix: str
    name: str
    kind: str
    expires_at: dt.datetime | None


class TokenOut(Schema):
    id: int
    prefix: str
    name: str
    kind: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


# People
class BrandingOut(Schema):
    name: str
    organisation: str
    logo_url: str
    primary_colour: str
    secondary_colour: str


class CommunityOut(Schema):
    id: int
    slug: str
    name: str
    kind: str
    description: str
    organisation_id: int
    signup_open: bool
    default_group_id: int | None
    branding: BrandingOut


class CommunityIn(In):
    name: str = Field(max_length=200)
    slug: str = Field(max_length=50)
    kind: str = "agents"
    description: str = ""
    signup_open: bool = True
    primary_colour: str = ""
    secondary_colour: str = ""
    default_group_id: int | None = None


class CommunityPatch(Patch):
    nullable = frozenset({"default_group_id"})

    name: str | None = Field(default=None, max_length=200)
    kind: str | None = None
    description: str | None = None
    signup_open: bool | None = None
    primary_colour: str | None = None
    secondary_colour: str | None = None
    default_group_id: int | None = None


class OrganisationOut(Schema):
    id: int
    name: str
    slug: str
    legal_name: str
    siren: str
    vat_number: str
    address: str
    time_zone: str
    primary_colour: str
    secondary_colour: str
    domain: str
    support_email: str
    support_phone: str


class OrganisationIn(In):
    name: str = Field(max_length=200)
    slug: str = Field(max_length=50)
    legal_name: str = ""
    siren: str = ""
    vat_number: str = ""
    address: str = ""
    time_zone: str = "Europe/Paris"


class OrganisationPatch(Patch):
    name: str | None = Field(default=None, max_length=200)
    legal_name: str | None = None
    siren: str | None = None
    vat_number: str | None = None
    address: str | None = None
    primary_colour: str | None = None
    secondary_colour: str | None = None
    domain: str | None = None
    support_email: str | None = None
    support_phone: str | None = None


class GroupOut(Schema):
    id: int
    name: str
    private_use_allowed: bool


class GroupIn(In):
    name: str = Field(max_length=100)
    private_use_allowed: bool = False


class MembershipOut(Schema):
    id: int
    community_id: int
    community_slug: str = Field(alias="community.slug")
    role: str
    group_id: int | None
    joined_at: dt.datetime


class MembershipPatch(Patch):
    nullable = frozenset({"group_id"})

    group_id: int | None = None
    role: str | None = None


class ManagerIn(In):
    user_id: int


class ManagerOut(Schema):
    user_id: int
    email: str = Field(alias="user.email")
    first_name: str = Field(alias="user.first_name")
    last_name: str = Field(alias="user.last_name")
    since: dt.datetime


class MeOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    language: str
    email_verified: bool
    is_operator: bool
    memberships: list[MembershipOut]
    can_book: dict[str, list[str]]


class MePatch(Patch):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    language: str | None = None


class ProfileOut(Schema):
    birth_date: dt.date | None
    licence_number: str
    licence_issued_on: dt.date | None
    licence_expires_on: dt.date | None
    has_licence_document: bool
    has_identity_document: bool
    missing: list[str]
    approvals: list[dict[str, Any]]


class ProfileIn(In):
    birth_date: dt.date | None = None
    licence_number: str | None = Field(default=None, max_length=30)
    licence_issued_on: dt.date | None = None
    licence_expires_on: dt.date | None = None


class SignupIn(In):
    email: str
    password: str
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)


class TokenBodyIn(In):
    token: str


class InvitationIn(In):
    email: str
    role: str = "member"
    group_id: int | None = None


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    group_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None


class SuspensionOut(Schema):
    id: int
    kind: str
    reason: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    lifted_at: dt.datetime | None


class MemberOut(Schema):
    """A member as a manager sees them. Built from a user with the
    organisation's approvals and memberships prefetched (``org_approvals``,
    ``org_memberships``), or from a dict."""

    id: int
    email: str
    first_name: str
    last_name: str
    approval_status: str | None
    communities: list[str]

    @staticmethod
    def resolve_approval_status(obj: Any) -> str | None:
        if isinstance(obj, dict):
            return obj["approval_status"]  # type: ignore[no-any-return]
        approval = next(iter(obj.org_approvals), None)
        return approval.status if approval else None

    @staticmethod
    def resolve_communities(obj: Any) -> list[str]:
        if isinstance(obj, dict):
            return obj["communities"]  # type: ignore[no-any-return]
        return [m.community.slug for m in obj.org_memberships]


class MemberDetailOut(MemberOut):
    phone: str
    profile: ProfileOut | None
    approval_reason: str
    suspensions: list[SuspensionOut]
    refusals: dict[str, list[str]]


class ReasonIn(In):
    reason: str = Field(max_length=2000)


class SuspendIn(In):
    reason: str = Field(max_length=2000)
    ends_at: dt.datetime | None = None


class ParameterValueOut(Schema):
    key: str
    level: str
    community_id: int | None
    group_id: int | None
    vehicle_id: int | None
    value: Any
    updated_at: dt.datetime


class ParameterSetIn(In):
    value: Any
    community_id: int | None = None
    group_id: int | None = None
    vehicle_id: int | None = None


class ParameterTargetIn(In):
    community_id: int | None = None
    group_id: int | None = None
    vehicle_id: int | None = None


class AuditOut(Schema):
    id: int
    actor_label: str
    source: str
    action: str
    object_type: str
    object_id: str
    data: dict[str, Any]
    created_at: dt.datetime


# Fleet
class StationOut(Schema):
    id: int
    organisation_id: int
    name: str
    address: str
    postcode: str
    city: str
    latitude: Decimal
    longitude: Decimal
    capacity: int
    charging_points: int
    one_way_returns: bool
    access_notes: str
    active: bool
    community_ids: list[int]

    @staticmethod
    def resolve_community_ids(obj: Any) -> list[int]:
        return [community.pk for community in obj.communities.all()]


class StationIn(In):
    name: str = Field(max_length=200)
    address: str = Field(max_length=300)
    postcode: str = ""
    city: str = ""
    latitude: Decimal
    longitude: Decimal
    capacity: int = Field(default=1, ge=1, le=10000)
    charging_points: int = Field(default=0, ge=0, le=10000)
    one_way_returns: bool = False
    access_notes: str = ""
    community_ids: list[int] = []


class StationPatch(Patch):
    name: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    postcode: str | None = None
    city: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    capacity: int | None = Field(default=None, ge=1, le=10000)
    charging_points: int | None = Field(default=None, ge=0, le=10000)
    one_way_returns: bool | None = None
    access_notes: str | None = None
    active: bool | None = None
    community_ids: list[int] | None = None


class VehicleOut(Schema):
    id: int
    organisation_id: int
    plate: str
    vin: str
    make: str
    model: str
    category: str
    energy: str
    seats: int
    range_km: int
    battery_kwh: Decimal | None
    consumption_per_100km: Decimal
    co2_g_km: int
    home_station_id: int
    status: str
    status_note: str
    accessories: list[str]
    carpool_friendly: bool
    community_ids: list[int]
    allowed_group_ids: list[int]

    @staticmethod
    def resolve_community_ids(obj: Any) -> list[int]:
        return [community.pk for community in obj.communities.all()]

    @staticmethod
    def resolve_allowed_group_ids(obj: Any) -> list[int]:
        return [group.pk for group in obj.allowed_groups.all()]


class VehicleIn(In):
    plate: str = Field(max_length=12)
    vin: str = ""
    make: str = Field(max_length=60)
    model: str = Field(max_length=60)
    category: str = "city"
    energy: str
    seats: int = 5
    range_km: int = Field(ge=1, le=5000)
    battery_kwh: Decimal | None = None
    consumption_per_100km: Decimal = Field(ge=0, le=100)
    co2_g_km: int = Field(default=0, ge=0, le=1000)
    home_station_id: int
    accessories: list[str] = []
    carpool_friendly: bool = False
    community_ids: list[int] = []
    allowed_group_ids: list[int] = []


class VehiclePatch(Patch):
    nullable = frozenset({"battery_kwh"})

    plate: str | None = Field(default=None, max_length=12)
    vin: str | None = None
    make: str | None = Field(default=None, max_length=60)
    model: str | None = Field(default=None, max_length=60)
    category: str | None = None
    energy: str | None = None
    seats: int | None = None
    range_km: int | None = Field(default=None, ge=1, le=5000)
    battery_kwh: Decimal | None = None
    consumption_per_100km: Decimal | None = Field(default=None, ge=0, le=100)
    co2_g_km: int | None = Field(default=None, ge=0, le=1000)
    home_station_id: int | None = None
    accessories: list[str] | None = None
    carpool_friendly: bool | None = None
    community_ids: list[int] | None = None
    allowed_group_ids: list[int] | None = None


class VehicleStatusIn(In):
    status: str
    note: str = Field(default="", max_length=200)


class BoxOut(Schema):
    id: int
    box_id: str
    vendor: str
    firmware: str
    organisation_id: int | None
    vehicle_id: int | None
    provisioned_at: dt.datetime
    online: bool
    status_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    access_version: int


class BoxIn(In):
    box_id: str
    vendor: str = "flotte"
    organisation_id: int | None = None


class BoxCreatedOut(BoxOut):
    secret: str


class BoxFitIn(In):
    vehicle_id: int | None


class BadgeOut(Schema):
    id: int
    uid: str
    user_id: int | None
    label: str
    active: bool
    issued_at: dt.datetime
    deactivated_at: dt.datetime | None


class BadgeIn(In):
    uid: str
    user_id: int | None = None
    label: str = Field(default="", max_length=60)


# Pricing
class TierIO(Schema):
    after_hours: int
    discount_pct: Decimal


class FlatRateIO(Schema):
    label: str
    max_minutes: int
    price: Decimal
    included_km: int = 0
    # The time of day the package holds within, "HH:MM" local (both or neither).
    from_time: str | None = None
    until_time: str | None = None


class TariffIn(In):
    name: str = Field(max_length=100)
    group_id: int | None = None
    valid_from: dt.date
    valid_until: dt.date | None = None
    hourly_rate: Decimal
    km_rate: Decimal = Decimal("0")
    vat_rate: Decimal = Decimal("20.00")
    first_block_minutes: int = Field(default=60, ge=0, le=24 * 60)
    step_minutes: int = Field(default=15, ge=1, le=24 * 60)
    night_rate: Decimal | None = None
    night_start: dt.time = dt.time(21, 0)
    night_end: dt.time = dt.time(7, 0)
    weekend_rate: Decimal | None = None
    day_cap: Decimal | None = None
    week_cap: Decimal | None = None
    included_km_per_day: int = Field(default=0, ge=0)
    minimum_charge: Decimal = Decimal("0")
    free_business_use: bool = False
    tiers: list[TierIO] = []
    flat_rates: list[FlatRateIO] = []


class TariffOut(Schema):
    id: int
    community_id: int
    group_id: int | None
    name: str
    valid_from: dt.date
    valid_until: dt.date | None
    hourly_rate: Decimal
    km_rate: Decimal
    vat_rate: Decimal
    first_block_minutes: int
    step_minutes: int
    night_rate: Decimal | None
    night_start: dt.time
    night_end: dt.time
    weekend_rate: Decimal | None
    day_cap: Decimal | None
    week_cap: Decimal | None
    included_km_per_day: int
    minimum_charge: Decimal
    free_business_use: bool
    tiers: list[TierIO]
    flat_rates: list[FlatRateIO]


class TariffEndIn(In):
    valid_until: dt.date


class QuoteIn(In):
    start: dt.datetime
    end: dt.datetime
    km: int = Field(default=0, ge=0, le=100000)
    business_use: bool = False


class QuoteLineOut(Schema):
    code: str
    label: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal


class QuoteOut(Schema):
    tariff_id: int
    tariff_name: str
    billed_minutes: int
    km: int
    lines: list[QuoteLineOut]
    total: Decimal


# Bookings
class OfferOut(Schema):
    vehicle: VehicleOut
    station_id: int
    tariff_id: int | None
    total: Decimal | None
    lines: list[QuoteLineOut]


class BookingIn(In):
    """Either ``vehicle_id``, or ``station_id`` (and ``category``) to let the
    platform choose the vehicle."""

    vehicle_id: int | None = None
    station_id: int | None = None
    category: str | None = None
    start: dt.datetime
    end: dt.datetime
    use: str = "business"
    purpose: str = Field(default="", max_length=200)
    cost_centre: str = Field(default="", max_length=50)
    destination: str = Field(default="", max_length=200)
    declared_km: int = Field(default=0, ge=0, le=100000)
    member_id: int | None = None


class BookingOut(Schema):
    id: int
    community_id: int
    vehicle_id: int
    member_id: int
    booked_by_id: int
    start: dt.datetime
    end: dt.datetime
    blocked_until: dt.datetime
    use: str
    purpose: str
    cost_centre: str
    destination: str
    declared_km: int
    tariff_id: int | None
    quoted_total: Decimal | None
    state: str
    cancellation_fee: Decimal | None
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    actual_km: int | None
    final_total: Decimal | None
    late_penalty: Decimal | None


class BookingEndIn(In):
    # Only for a vehicle without a box: otherwise the odometer tells.
    km: int | None = Field(default=None, ge=0, le=100000)


class BookingPatch(Patch):
    end: dt.datetime | None = None
    vehicle_id: int | None = None


class CalendarOut(Schema):
    url: str


class PlanningQuery(Schema):
    start: dt.datetime
    end: dt.datetime
    station: int | None = None


class TransferOut(Schema):
    id: int
    booking_id: int
    from_vehicle_id: int
    to_vehicle_id: int | None
    reason: str
    created_at: dt.datetime


class BulkTransferIn(In):
    reason: str = "out_of_service"


class AlertOut(Schema):
    id: int
    kind: str
    booking_id: int | None
    vehicle_id: int | None
    message: str
    alternatives: list[dict[str, Any]]
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class CommandIn(In):
    kind: str = Field(description="unlock, lock, immobilize, release_immobilizer, locate or sync")


class CommandOut(Schema):
    id: uuid.UUID
    kind: str
    state: str
    vehicle_id: int | None
    booking_id: int | None
    requested_by_id: int | None
    issued_at: dt.datetime
    expires_at: dt.datetime
    sent_at: dt.datetime | None
    attempts: int
    answered_at: dt.datetime | None
    detail: str


class VehicleStateOut(Schema):
    vehicle_id: int
    odometer_km: float | None
    odometer_at: dt.datetime | None
    energy_kind: str
    energy_pct: float | None
    range_km: float | None
    energy_at: dt.datetime | None
    ignition: bool | None
    locked: bool | None
    doors_closed: bool | None
    charging: bool | None
    key_present: bool | None
    immobilized: bool | None
    # Only for the organisation's managers, and each reading is audited.
    latitude: float | None = None
    longitude: float | None = None
    position_at: dt.datetime | None = None
    online: bool
    contact_lost: bool
    last_seen_at: dt.datetime | None


class DigitalKeyOut(Schema):
    key_id: str
    token: str
    box_id: str
    not_before: dt.datetime
    not_after: dt.datetime


class TripOut(Schema):
    booking_id: int
    vehicle_id: int
    started_at: dt.datetime
    start_source: str
    start_odometer_km: float | None
    start_energy_pct: float | None
    ended_at: dt.datetime | None
    end_odometer_km: float | None
    end_energy_pct: float | None
    km: int | None
    private_mode: bool


class PrivateModeIn(In):
    on: bool


class RejectedMessageOut(Schema):
    received_at: dt.datetime
    topic: str
    box_id: str
    reason: str
    detail: str
    excerpt: str


class RejectedSummaryOut(Schema):
    total: int
    by_reason: dict[str, int]
    last_hour: int


# Personal data (GDPR)
class MemberExportOut(Schema):
    """Everything Flotte holds about you; ``about`` says what each part is."""

    generated_at: str
    about: dict[str, dict[str, str]]
    account: dict[str, Any]
    driver_profile: dict[str, Any] | None
    manager_roles: list[dict[str, Any]]
    memberships: list[dict[str, Any]]
    approvals: list[dict[str, Any]]
    suspensions: list[dict[str, Any]]
    badges: list[dict[str, Any]]
    invitations: list[dict[str, Any]]
    bookings: list[dict[str, Any]]
    trips: list[dict[str, Any]]
    private_mode_switches: list[dict[str, Any]]
    digital_keys: list[dict[str, Any]]
    commands: list[dict[str, Any]]
    audit_entries: list[dict[str, Any]]
    api_tokens: list[dict[str, Any]]
    invoices: list[dict[str, Any]]
    payment_cards: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    refunds: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    notification_choices: list[dict[str, Any]]
    push_devices: list[dict[str, Any]]
    trip_surveys: list[dict[str, Any]]
    mailing_opt_outs: list[dict[str, Any]]
    inspections: list[dict[str, Any]]
    incidents: list[dict[str, Any]]


class EraseIn(In):
    confirm: str = Field("", description='Type "ERASE" to confirm the erasure.')


class InvoiceLineOut(Schema):
    position: int
    kind: str
    label: str
    quantity: Decimal
    unit_price_excl_vat: Decimal
    unit_price_incl_vat: Decimal
    vat_rate: Decimal
    amount_excl_vat: Decimal
    vat_amount: Decimal
    amount_incl_vat: Decimal


class InvoiceOut(Schema):
    id: int
    kind: str
    state: str
    number: str | None
    organisation_id: int
    booking_id: int | None
    credits_id: int | None
    buyer_id: int
    issue_date: dt.date | None
    due_date: dt.date | None
    service_start: dt.datetime | None
    service_end: dt.datetime | None
    currency: str
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    manually_edited: bool
    reason: str
    lines: list[InvoiceLineOut]

    @staticmethod
    def resolve_lines(invoice: Any) -> list[Any]:
        return list(invoice.lines.order_by("position"))


class InvoiceLineIn(In):
    label: str
    unit_price_incl_vat: Decimal = Field(description="price of one unit, VAT included")
    quantity: Decimal = Decimal("1")
    vat_rate: Decimal = Decimal("20")
    kind: str = "other"


class CreditNoteIn(In):
    reason: str
    # None: credit everything that remains.
    lines: list[InvoiceLineIn] | None = None


class ExceptionalInvoiceIn(In):
    buyer_id: int
    reason: str
    lines: list[InvoiceLineIn]
    business: bool = False
    cost_centre: str = ""


class PaymentMethodOut(Schema):
    organisation_id: int
    provider: str
    state: str
    card_brand: str
    card_last4: str
    card_exp_month: int | None
    card_exp_year: int | None


class CardSetupOut(Schema):
    """Hand ``client_secret`` to the provider's card form (Stripe.js
    ``confirmCardSetup``), then call the refresh endpoint."""

    provider: str
    publishable_key: str
    client_secret: str
    payment_method: PaymentMethodOut


class RefundOut(Schema):
    id: int
    payment_id: int
    credit_note_id: int | None
    state: str
    amount: Decimal
    created_at: dt.datetime
    succeeded_at: dt.datetime | None


class PaymentOut(Schema):
    id: int
    organisation_id: int
    invoice_id: int | None
    invoice_number: str | None
    booking_id: int | None
    kind: str
    state: str
    amount: Decimal
    amount_received: Decimal
    currency: str
    fee: Decimal
    fee_is_estimate: bool
    attempt: int
    failure_code: str
    failure_message: str
    provider: str
    provider_ref: str | None = Field(
        description="the object at the provider (a Stripe PaymentIntent)"
    )
    created_at: dt.datetime
    succeeded_at: dt.datetime | None

    @staticmethod
    def resolve_invoice_number(payment: Any) -> str | None:
        return payment.invoice.number if payment.invoice_id else None


class InvoiceBalanceOut(Schema):
    invoice_id: int
    status: str = Field(description="unpaid, partially_paid, paid or credited")
    total: Decimal
    credited: Decimal
    paid: Decimal
    refunded: Decimal
    due: Decimal
    payments: list[PaymentOut]
    refunds: list[RefundOut]


class WebhookOut(Schema):
    event: str
    outcome: str


class PayoutStatementIn(In):
    period_start: dt.date = Field(
        description="first day of the period: the 1st (month or fortnight) or the 16th "
        "(fortnight), in the organisation's time zone"
    )


class PayoutStatementOut(Schema):
    id: int
    organisation_id: int
    period: str = Field(description="month or fortnight")
    period_start: dt.date
    period_end: dt.date = Field(description="last day of the period, included")
    time_zone: str
    starts_at: dt.datetime
    ends_at: dt.datetime = Field(description="first instant after the period")
    currency: str
    gross: Decimal = Field(description="card payments that succeeded in the period")
    refunds: Decimal = Field(description="refunds that succeeded in the period")
    fees: Decimal = Field(description="payment fees of those payments, and changes of fees")
    net: Decimal = Field(description="gross - refunds - fees: due to the organisation")
    created_at: dt.datetime
    transfer_state: str
    transfer_destination: str
    transfer_ref: str | None
    transfer_error: str
    transferred_at: dt.datetime | None


class PayoutInvoiceOut(Schema):
    invoice_id: int | None
    number: str
    buyer: str
    credit_notes: list[str]
    collected: Decimal
    refunded: Decimal
    fees: Decimal
    net: Decimal

    @staticmethod
    def resolve_invoice_id(entry: Any) -> int | None:
        return entry.invoice.pk if entry.invoice else None


class PayoutStatementDetailOut(PayoutStatementOut):
    late_lines: int = Field(description="movements of earlier periods counted here")
    invoices: list[PayoutInvoiceOut]

    @staticmethod
    def resolve_late_lines(statement: Any) -> int:
        return int(statement.lines.filter(late=True).count())

    @staticmethod
    def resolve_invoices(statement: Any) -> list[Any]:
        from flotte.billing.payouts import statement_invoices

        return statement_invoices(statement)


# Notifications, surveys and mailings (flotte.notify)
class EventChoiceOut(Schema):
    event: str
    label: str = Field(description="in the request's language")
    mandatory: bool = Field(description="always sent by e-mail; SMS and push may be added")
    email: bool
    sms: bool
    push: bool


class MailingChoiceOut(Schema):
    organisation_id: int
    organisation: str
    subscribed: bool


class NotificationPreferencesOut(Schema):
    channels: list[str] = Field(description="the channels this platform offers")
    push_public_key: str = Field(
        description="VAPID applicationServerKey for pushManager.subscribe(); empty without push"
    )
    events: list[EventChoiceOut]
    mailings: list[MailingChoiceOut]


class EventChoiceIn(In):
    event: str
    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None


class MailingChoiceIn(In):
    organisation_id: int
    subscribed: bool


class NotificationPreferencesIn(In):
    events: list[EventChoiceIn] = Field(default_factory=list)
    mailings: list[MailingChoiceIn] = Field(default_factory=list)


class NotificationOut(Schema):
    id: int
    organisation_id: int
    user_id: int
    event: str
    channel: str
    state: str = Field(description="pending, sending, sent or failed")
    error: str
    subject: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class PushKeysIn(In):
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)


class PushSubscriptionIn(In):
    """What a browser's ``PushSubscription.toJSON()`` gives (without
    ``expirationTime``), with an optional device name."""

    endpoint: str = Field(max_length=1000)
    keys: PushKeysIn
    user_agent: str = Field(default="", max_length=200)


class PushSubscriptionOut(Schema):
    id: int
    endpoint: str
    user_agent: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class UnsubscribeIn(In):
    token: str = Field(max_length=500)


class UnsubscribeOut(Schema):
    organisation_id: int
    subscribed: bool


class SurveyIn(In):
    rating: int = Field(ge=1, le=5)
    cleanliness: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class SurveyResponseOut(Schema):
    id: int
    booking_id: int
    vehicle_id: int
    station_id: int
    rating: int
    cleanliness: int
    comment: str
    answered_at: dt.datetime


class SurveyResultOut(Schema):
    id: int = Field(description="the vehicle's or the station's id")
    name: str = Field(description="the vehicle's plate or the station's name")
    responses: int
    rating: Decimal = Field(description="mean, 1 to 5")
    cleanliness: Decimal = Field(description="mean, 1 to 5")


class MailingIn(In):
    community_id: int | None = None
    group_id: int | None = None
    subject_fr: str = Field(default="", max_length=200)
    body_fr: str = Field(default="", max_length=20000)
    subject_en: str = Field(default="", max_length=200)
    body_en: str = Field(default="", max_length=20000)


class MailingOut(Schema):
    id: int
    organisation_id: int
    community_id: int | None
    group_id: int | None
    subject_fr: str
    body_fr: str
    subject_en: str
    body_en: str
    state: str = Field(description="draft, sending or sent")
    created_at: dt.datetime
    sent_at: dt.datetime | None
    finished_at: dt.datetime | None
    batches: int
    audience: int = Field(description="members it would reach now (a draft) or recipients")
    counts: dict[str, int] = Field(description="recipients per state: pending, sent, failed...")

    @staticmethod
    def resolve_audience(mailing: Any) -> int:
        from flotte.notify.mailings import mailing_audience

        if mailing.state == "draft":
            return int(mailing_audience(mailing).count())
        return int(mailing.recipients.count())

    @staticmethod
    def resolve_counts(mailing: Any) -> dict[str, int]:
        from flotte.notify.mailings import mailing_counts

        return mailing_counts(mailing)


class SurveyPeriodQuery(Schema):
    start: dt.datetime | None = Field(default=None, description="answered from (included)")
    end: dt.datetime | None = Field(default=None, description="answered before (excluded)")


class StatisticsQuery(Schema):
    start: dt.date | None = Field(default=None, description="first day (organisation's time zone)")
    end: dt.date | None = Field(default=None, description="day after the last (excluded)")


class StatisticsOut(Schema):
    key: str
    computed_at: dt.datetime
    data: dict[str, Any] = Field(
        description="totals, dimensions (community, station, vehicle, group), months, "
        "days, busy_days, co2, greening, fleet_advice; see docs/statistics.md"
    )


class StatisticsPendingOut(Schema):
    key: str
    state: str = Field(description="computing: ask again in a few minutes")


class OperatorStatisticsOut(Schema):
    organisation_id: int
    name: str
    slug: str
    computed_at: dt.datetime | None
    totals: dict[str, Any] | None
    co2_kg: float | None
    low_emission_pct: float | None


# Carpooling


class CarpoolOfferIn(In):
    """The destination is ``destination_station_id``, or ``destination``
    with its coordinates. Departure defaults to the booking's start; no
    ``return_at``: one way."""

    seats: int = Field(ge=1, le=8)
    destination: str = Field(default="", max_length=200)
    destination_station_id: int | None = None
    destination_latitude: Decimal | None = Field(default=None, ge=-90, le=90)
    destination_longitude: Decimal | None = Field(default=None, ge=-180, le=180)
    departure_at: dt.datetime | None = None
    return_at: dt.datetime | None = None
    note: str = Field(default="", max_length=500)


class CarpoolRequestIn(In):
    seats: int = Field(default=1, ge=1, le=8)
    message: str = Field(default="", max_length=500)


class CarpoolRequestOut(Schema):
    id: int
    offer_id: int
    passenger: str = Field(description="first name and initial")
    seats: int
    message: str
    state: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class CarpoolOfferOut(Schema):
    id: int
    booking_id: int
    driver: str = Field(description="first name and initial")
    origin_station_id: int
    origin_station: str
    destination: str
    destination_station_id: int | None
    destination_latitude: Decimal
    destination_longitude: Decimal
    departure_at: dt.datetime
    return_at: dt.datetime | None
    seats: int
    seats_free: int
    note: str
    state: str
    trip_km: int
    contribution: Decimal | None = Field(
        description="what each passenger gives the driver, where the organisation sets a "
        "contribution per km"
    )
    requests: list[CarpoolRequestOut] = Field(description="to the driver only")


class CarpoolMatchOut(Schema):
    offer: CarpoolOfferOut
    origin_km: Decimal
    destination_km: Decimal
    minutes_apart: int
    score: Decimal = Field(description="origin_km + destination_km + 0.1 × minutes_apart")


class MyCarpoolRequestOut(CarpoolRequestOut):
    offer: CarpoolOfferOut


class MyCarpoolOut(Schema):
    offers: list[CarpoolOfferOut] = Field(description="the trips you offer, not past")
    requests: list[MyCarpoolRequestOut] = Field(description="your requests on trips not past")
