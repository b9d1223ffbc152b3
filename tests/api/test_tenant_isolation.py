"""Every API route, called by people of another organisation (Bob's), never
returns or changes Alice's data: 401/403/404, or a list without her rows.
The same call by Alice's own side succeeds, which shows the refusal comes
from tenancy and not from a malformed request.

The table below must name every operation of the OpenAPI schema: a new
route fails `test_every_route_is_covered` until it says how it is isolated.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from flotte.accounts.drivers import member_suspend
from flotte.accounts.models import ApiToken, Suspension
from flotte.accounts.parameters import param_set
from flotte.accounts.tokens import api_token_create
from flotte.api.urls import api
from flotte.billing.amounts import LineInput
from flotte.billing.corrections import invoice_exceptional_create
from flotte.billing.models import Invoice
from flotte.billing.payments.cards import payment_method_refresh, payment_method_setup
from flotte.billing.payments.services import invoice_collect
from flotte.billing.payouts import payout_statement_create
from flotte.billing.services import invoice_line_add
from flotte.booking.lifecycle import booking_end, booking_start
from flotte.booking.models import Booking, ManagerAlert
from flotte.booking.services import booking_create
from flotte.carpool.services import carpool_offer_create, carpool_request_create
from flotte.inspections.incidents import incident_photo_add, incident_report
from flotte.inspections.services import (
    inspection_create,
    inspection_photo_add,
    inspection_submit,
    inspection_update,
)
from flotte.notify.mailings import mailing_create
from flotte.notify.models import PushSubscription
from flotte.notify.surveys import survey_answer
from flotte.pricing.services import tariff_create
from flotte.telematics.commands import command_issue
from flotte.telematics.models import Trip
from tests import factories as f
from tests.billing.fake_stripe import FakeStripe
from tests.carpool.conftest import member_of as carpool_member
from tests.conftest import Api, Tenant

PUBLIC = "public"  # anyone may call it by design (sign-up, public branding, login)
SELF = "self"  # acts only on the caller's own account


@dataclass
class Case:
    owner: str  # who on Alice's side may call it: manager, member or operator
    body: dict[str, Any] | None = None
    listing: bool = False  # a list: Bob gets 200 without Alice's rows
    upload: bool = False
    query: str = ""
    # path parameters taken from another entry of the world's parameters
    params: dict[str, str] = field(default_factory=dict)


VEHICLE = {
    "plate": "ZZ-999-ZZ",
    "make": "Renault",
    "model": "Zoe",
    "energy": "electric",
    "range_km": 300,
    "consumption_per_100km": "17.2",
    "home_station_id": "{station_id}",
}
SOON = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3)
WINDOW = {
    "start": (SOON + dt.timedelta(hours=5)).isoformat(),
    "end": (SOON + dt.timedelta(hours=7)).isoformat(),
}
STATION = {"name": "Nouvelle", "address": "2 rue Haute", "latitude": "44.7", "longitude": "5.0"}
# Months by UTC: ended (or begun) in Paris too, which is ahead of UTC.
THIS_MONTH = dt.datetime.now(dt.UTC).date().replace(day=1)
LAST_MONTH = (THIS_MONTH - dt.timedelta(days=1)).replace(day=1)
MONTH_BEFORE = (LAST_MONTH - dt.timedelta(days=1)).replace(day=1)

ROUTES: dict[tuple[str, str], Any] = {
    ("POST", "/auth/token"): PUBLIC,
    ("GET", "/auth/tokens"): SELF,
    ("DELETE", "/auth/tokens/{token_id}"): Case("member"),
    ("GET", "/me"): SELF,
    ("PATCH", "/me"): SELF,
    ("GET", "/me/profile"): SELF,
    ("PUT", "/me/profile"): SELF,
    ("POST", "/me/profile/documents/{kind}"): SELF,
    ("GET", "/me/profile/documents/{kind}"): SELF,
    ("POST", "/me/profile/submit"): SELF,
    ("GET", "/me/export"): SELF,
    ("POST", "/me/erase"): SELF,
    ("GET", "/communities/public/{slug}"): PUBLIC,
    ("POST", "/communities/public/{slug}/signup"): PUBLIC,
    ("POST", "/communities/verify"): PUBLIC,
    ("POST", "/communities/invitations/accept"): SELF,
    ("POST", "/communities/{slug}/join"): PUBLIC,
    ("GET", "/communities"): Case("member", listing=True),
    ("GET", "/communities/{slug}"): Case("member"),
    ("PATCH", "/communities/{slug}"): Case("manager", {"description": "changed"}),
    ("GET", "/communities/{slug}/invitations"): Case("manager"),
    ("DELETE", "/communities/{slug}/invitations/{invitation_id}"): Case("manager"),
    ("PATCH", "/communities/{slug}/members/{user_id}"): Case("manager", {"role": "manager"}),
    ("DELETE", "/communities/{slug}/members/{user_id}"): Case("manager"),
    ("GET", "/organisations/{org_id}/managers"): Case("manager"),
    ("POST", "/organisations/{org_id}/managers"): Case("manager", {"user_id": "{user_id}"}),
    ("DELETE", "/organisations/{org_id}/managers/{user_id}"): Case(
        "manager", params={"user_id": "second_manager_id"}
    ),
    ("POST", "/communities/{slug}/invitations"): Case("manager", {"email": "new@example.org"}),
    ("GET", "/organisations"): Case("member", listing=True),
    ("POST", "/organisations"): Case("operator", {"name": "Nouvelle", "slug": "nouvelle"}),
    ("GET", "/organisations/{org_id}"): Case("member"),
    ("PATCH", "/organisations/{org_id}"): Case("manager", {"support_phone": "0102030405"}),
    ("GET", "/organisations/{org_id}/groups"): Case("member"),
    ("POST", "/organisations/{org_id}/groups"): Case("manager", {"name": "Élus"}),
    ("GET", "/organisations/{org_id}/audit"): Case("manager"),
    ("GET", "/organisations/{org_id}/parameters"): Case("manager"),
    ("PUT", "/organisations/{org_id}/parameters/{key}"): Case("manager", {"value": 21}),
    ("DELETE", "/organisations/{org_id}/parameters/{key}"): Case("manager"),
    ("POST", "/organisations/{org_id}/communities"): Case(
        "manager", {"name": "Habitants", "slug": "habitants-x"}
    ),
    ("GET", "/organisations/{org_id}/members"): Case("manager"),
    ("GET", "/organisations/{org_id}/members/{user_id}"): Case("manager"),
    ("GET", "/organisations/{org_id}/members/{user_id}/documents/{kind}"): Case("manager"),
    ("POST", "/organisations/{org_id}/members/{user_id}/validate"): Case("manager"),
    ("POST", "/organisations/{org_id}/members/{user_id}/reject"): Case(
        "manager", {"reason": "photo illisible"}
    ),
    ("POST", "/organisations/{org_id}/members/{user_id}/suspend"): Case(
        "manager", {"reason": "retards répétés"}
    ),
    ("POST", "/organisations/{org_id}/suspensions/{suspension_id}/lift"): Case("manager"),
    ("POST", "/organisations/{org_id}/stations"): Case("manager", STATION),
    ("POST", "/organisations/{org_id}/vehicles"): Case("manager", VEHICLE),
    ("GET", "/organisations/{org_id}/badges"): Case("manager"),
    ("POST", "/organisations/{org_id}/badges"): Case(
        "manager", {"uid": "04FFEE0011", "user_id": "{user_id}"}
    ),
    ("POST", "/organisations/{org_id}/badges/{badge_id}/deactivate"): Case("manager"),
    ("GET", "/communities/{slug}/tariffs"): Case("member"),
    ("POST", "/communities/{slug}/tariffs"): Case(
        "manager", {"name": "Tarif 2027", "valid_from": "2027-01-01", "hourly_rate": "4.00"}
    ),
    ("POST", "/tariffs/{tariff_id}/end"): Case("manager", {"valid_until": "2026-12-01"}),
    ("POST", "/communities/{slug}/quote"): Case(
        "member",
        {"start": "2026-12-01T09:00:00+01:00", "end": "2026-12-01T11:00:00+01:00", "km": 10},
    ),
    ("GET", "/communities/{slug}/availability"): Case(
        "member",
        query=f"start={WINDOW['start'].replace('+', '%2B')}"
        f"&end={WINDOW['end'].replace('+', '%2B')}",
    ),
    ("POST", "/communities/{slug}/bookings"): Case(
        "member", {"vehicle_id": "{vehicle_id}", "purpose": "réunion", **WINDOW}
    ),
    ("GET", "/bookings"): Case("member", listing=True),
    ("GET", "/me/calendar"): SELF,
    ("POST", "/vehicles/{vehicle_id}/transfer-bookings"): Case("manager", {}),
    ("GET", "/organisations/{org_id}/alerts"): Case("manager"),
    ("POST", "/organisations/{org_id}/alerts/{alert_id}/resolve"): Case("manager"),
    ("POST", "/me/calendar/reset"): SELF,
    ("GET", "/organisations/{org_id}/planning"): Case(
        "manager",
        query=f"start={WINDOW['start'].replace('+', '%2B')}"
        f"&end={(SOON + dt.timedelta(days=5)).isoformat().replace('+', '%2B')}",
    ),
    ("GET", "/bookings/{booking_id}"): Case("member"),
    ("POST", "/bookings/{booking_id}/cancel"): Case("member"),
    ("PATCH", "/bookings/{booking_id}"): Case(
        "member", {"end": (SOON + dt.timedelta(hours=3)).isoformat()}
    ),
    ("POST", "/bookings/{booking_id}/start"): Case(
        "member", params={"booking_id": "current_booking_id"}
    ),
    ("POST", "/bookings/{booking_id}/end"): Case(
        "member", {"km": 12}, params={"booking_id": "started_booking_id"}
    ),
    ("GET", "/stations"): Case("member", listing=True),
    ("GET", "/stations/{station_id}"): Case("member"),
    ("PATCH", "/stations/{station_id}"): Case("manager", {"capacity": 6}),
    ("GET", "/vehicles"): Case("member", listing=True),
    ("GET", "/vehicles/{vehicle_id}"): Case("member"),
    ("PATCH", "/vehicles/{vehicle_id}"): Case("manager", {"seats": 4}),
    ("POST", "/vehicles/{vehicle_id}/status"): Case("manager", {"status": "maintenance"}),
    ("GET", "/boxes"): Case("manager", listing=True),
    ("POST", "/boxes"): Case("operator", {"box_id": "box-new", "organisation_id": "{org_id}"}),
    ("POST", "/boxes/{box_id}/fit"): Case("manager", {"vehicle_id": "{vehicle_id}"}),
    ("POST", "/vehicles/{vehicle_id}/commands"): Case("manager", {"kind": "locate"}),
    ("GET", "/commands/{command_id}"): Case("manager"),
    ("GET", "/organisations/{org_id}/commands"): Case("manager"),
    ("GET", "/vehicles/{vehicle_id}/state"): Case("manager"),
    ("POST", "/bookings/{booking_id}/key"): Case("member"),
    ("GET", "/bookings/{booking_id}/trip"): Case(
        "member", params={"booking_id": "started_booking_id"}
    ),
    ("POST", "/bookings/{booking_id}/private-mode"): Case(
        "member", {"on": True}, params={"booking_id": "started_booking_id"}
    ),
    ("GET", "/operator/rejected-messages"): Case("operator"),
    ("GET", "/operator/rejected-messages/summary"): Case("operator"),
    ("GET", "/invoices"): Case("member", listing=True),
    ("GET", "/invoices/{invoice_id}"): Case("member"),
    ("GET", "/invoices/{invoice_id}/pdf"): Case("member"),
    ("GET", "/organisations/{org_id}/invoices/queue"): Case("manager"),
    ("POST", "/invoices/{invoice_id}/validate"): Case(
        "manager", params={"invoice_id": "draft_invoice_id"}
    ),
    ("POST", "/invoices/{invoice_id}/lines"): Case(
        "manager",
        {"label": "Nettoyage", "unit_price_incl_vat": "30.00", "kind": "cleaning"},
        params={"invoice_id": "draft_invoice_id"},
    ),
    ("PUT", "/invoices/{invoice_id}/lines/{position}"): Case(
        "manager",
        {"label": "Carburant", "unit_price_incl_vat": "25.00", "kind": "fuel"},
        params={"invoice_id": "draft_invoice_id"},
    ),
    ("DELETE", "/invoices/{invoice_id}/lines/{position}"): Case(
        "manager", params={"invoice_id": "draft_invoice_id"}
    ),
    ("POST", "/invoices/{invoice_id}/credit-notes"): Case("manager", {"reason": "geste"}),
    ("GET", "/organisations/{org_id}/payment-method"): Case("member"),
    ("POST", "/organisations/{org_id}/payment-method/setup"): Case("member"),
    ("POST", "/organisations/{org_id}/payment-method/refresh"): Case("member"),
    ("GET", "/payments"): Case("member", listing=True),
    ("GET", "/invoices/{invoice_id}/balance"): Case("member"),
    ("POST", "/invoices/{invoice_id}/pay"): Case("member"),
    ("POST", "/webhooks/stripe"): PUBLIC,
    ("POST", "/organisations/{org_id}/invoices"): Case(
        "manager",
        {
            "buyer_id": "{user_id}",
            "reason": "franchise",
            "lines": [{"label": "Franchise", "unit_price_incl_vat": "300.00", "kind": "damage"}],
        },
    ),
    ("GET", "/organisations/{org_id}/payouts"): Case("manager"),
    ("POST", "/organisations/{org_id}/payouts"): Case(
        "manager", {"period_start": LAST_MONTH.isoformat()}
    ),
    ("GET", "/organisations/{org_id}/payouts/{statement_id}"): Case("manager"),
    ("GET", "/organisations/{org_id}/payouts/{statement_id}/csv"): Case("manager"),
    ("GET", "/organisations/{org_id}/payouts/{statement_id}/pdf"): Case("manager"),
    ("POST", "/organisations/{org_id}/payouts/{statement_id}/transfer"): Case("manager"),
    ("GET", "/organisations/{org_id}/chargeback/csv"): Case(
        "manager", query=f"month={THIS_MONTH:%Y-%m}"
    ),
    ("GET", "/organisations/{org_id}/chargeback/pdf"): Case(
        "manager", query=f"month={THIS_MONTH:%Y-%m}"
    ),
    ("GET", "/organisations/{org_id}/exports/accounting"): Case(
        "manager", query=f"start={LAST_MONTH.isoformat()}&end={THIS_MONTH.isoformat()}"
    ),
    ("GET", "/me/notifications"): SELF,
    ("PUT", "/me/notifications"): SELF,
    ("GET", "/me/notifications/history"): SELF,
    ("GET", "/me/push-subscriptions"): SELF,
    ("POST", "/me/push-subscriptions"): SELF,
    ("DELETE", "/me/push-subscriptions/{subscription_id}"): Case("member"),
    ("POST", "/notifications/unsubscribe"): PUBLIC,
    ("GET", "/organisations/{org_id}/notifications"): Case("manager"),
    ("POST", "/bookings/{booking_id}/survey"): Case(
        "member", {"rating": 5, "cleanliness": 4}, params={"booking_id": "ended_booking_id"}
    ),
    ("GET", "/organisations/{org_id}/surveys"): Case("manager"),
    ("GET", "/organisations/{org_id}/surveys/vehicles"): Case("manager"),
    ("GET", "/organisations/{org_id}/surveys/stations"): Case("manager"),
    ("GET", "/organisations/{org_id}/mailings"): Case("manager"),
    ("POST", "/organisations/{org_id}/mailings"): Case(
        "manager", {"community_id": "{community_id}", "subject_fr": "Info", "body_fr": "Texte"}
    ),
    ("GET", "/mailings/{mailing_id}"): Case("manager"),
    ("POST", "/mailings/{mailing_id}/send"): Case("manager"),
    ("GET", "/communities/{slug}/carpool/trips"): Case(
        "member",
        query="origin_station_id={station_id}&destination_latitude=44.74"
        f"&destination_longitude=5.055&start={WINDOW['start'].replace('+', '%2B')}"
        f"&end={WINDOW['end'].replace('+', '%2B')}",
    ),
    ("POST", "/bookings/{booking_id}/carpool"): Case(
        "member",
        {
            "seats": 1,
            "destination": "Mairie",
            "destination_latitude": "44.74",
            "destination_longitude": "5.055",
        },
        params={"booking_id": "current_booking_id"},
    ),
    ("GET", "/carpool/offers/{offer_id}"): Case("member"),
    ("GET", "/me/carpool"): SELF,
    ("POST", "/carpool/offers/{offer_id}/cancel"): Case("member"),
    ("POST", "/carpool/offers/{offer_id}/requests"): Case(
        "member", {}, params={"offer_id": "other_offer_id"}
    ),
    ("POST", "/carpool/requests/{request_id}/accept"): Case("member"),
    ("POST", "/carpool/requests/{request_id}/decline"): Case("member"),
    ("GET", "/organisations/{org_id}/statistics"): Case("manager"),
    ("GET", "/organisations/{org_id}/statistics/csv"): Case("manager", query="table=stations"),
    ("GET", "/operator/statistics"): Case("operator"),
    ("POST", "/bookings/{booking_id}/inspections"): Case(
        "member", {"kind": "check_in"}, params={"booking_id": "current_booking_id"}
    ),
    ("GET", "/bookings/{booking_id}/inspections"): Case(
        "member", params={"booking_id": "current_booking_id"}
    ),
    ("GET", "/me/inspections"): SELF,
    ("GET", "/inspections/{inspection_id}"): Case("member"),
    ("PATCH", "/inspections/{inspection_id}"): Case("member", {"cleanliness": 5}),
    ("POST", "/inspections/{inspection_id}/photos"): Case(
        "member", upload=True, query="angle=front"
    ),
    ("GET", "/inspections/{inspection_id}/photos/{photo_id}"): Case("member"),
    ("POST", "/inspections/{inspection_id}/submit"): Case("member"),
    ("POST", "/inspections/{inspection_id}/charge"): Case(
        "manager", {"amount": "90.00"}, params={"inspection_id": "check_out_id"}
    ),
    ("POST", "/vehicles/{vehicle_id}/incidents"): Case(
        "member",
        {"kind": "dirt", "description": "Sale"},
        params={"vehicle_id": "started_vehicle_id"},
    ),
    ("GET", "/me/incidents"): SELF,
    ("GET", "/incidents/{incident_id}"): Case("member"),
    ("POST", "/incidents/{incident_id}/photos"): Case("member", upload=True),
    ("GET", "/incidents/{incident_id}/photos/{photo_id}"): Case(
        "member", params={"photo_id": "incident_photo_id"}
    ),
    ("POST", "/incidents/{incident_id}/acknowledge"): Case("manager"),
    ("POST", "/incidents/{incident_id}/resolve"): Case("manager", {"resolution": "ok"}),
    ("POST", "/incidents/{incident_id}/charge"): Case("manager", {"amount": "90.00"}),
    ("GET", "/organisations/{org_id}/inspections"): Case("manager"),
    ("GET", "/organisations/{org_id}/incidents"): Case("manager"),
    ("GET", "/vehicles/{vehicle_id}/damage-history"): Case(
        "manager", params={"vehicle_id": "started_vehicle_id"}
    ),
}


def schema_operations() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in paths.items()
        for method in operations
    }


def test_every_route_is_covered() -> None:
    assert schema_operations() == set(ROUTES)


@dataclass
class World:
    alice: Tenant
    bob: Tenant
    params: dict[str, Any]
    markers: list[str]


@pytest.fixture
def world(alice: Tenant, bob: Tenant, stripe: FakeStripe) -> World:
    # Alice's side has a token, a suspension, a booking, a tariff, a
    # pending approval to decide on.
    token, _ = api_token_create(user=alice.member, name="phone")
    pending = f.UserFactory(email="pending-alice@example.org")
    f.MembershipFactory(user=pending, community=alice.community)
    f.DriverProfileFactory(user=pending)
    f.DriverApprovalFactory(organisation=alice.organisation, user=pending)
    suspension = member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=pending, reason="test"
    )
    invitation = f.InvitationFactory(community=alice.community, email="invited-alice@example.org")
    tariff = tariff_create(
        actor=alice.manager,
        community=alice.community,
        name="Tarif d'Alice",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2027, 1, 1),
        hourly_rate=Decimal("4.00"),
    )
    booking = booking_create(
        actor=alice.member,
        member=alice.member,
        community=alice.community,
        vehicle=alice.vehicle,
        start=SOON,
        end=SOON + dt.timedelta(hours=2),
        purpose="Alice tour",
    )
    param_set(
        actor=alice.manager, key="booking_max_concurrent", value=10, organisation=alice.organisation
    )
    now = dt.datetime.now(dt.UTC)
    current, started = [
        booking_create(
            actor=alice.member,
            member=alice.member,
            community=alice.community,
            vehicle=vehicle,
            start=now,
            end=now + dt.timedelta(hours=2),
            purpose="now",
        )
        for vehicle in (
            f.VehicleFactory(
                organisation=alice.organisation,
                home_station=alice.station,
                communities=[alice.community],
            )
            for _ in range(2)
        )
    ]
    booking_start(actor=alice.member, booking=started)
    Booking.objects.filter(pk=started.pk).update(use=Booking.Use.PRIVATE)
    Trip.objects.create(
        booking=started,
        organisation=alice.organisation,
        vehicle=started.vehicle,
        started_at=now,
        start_odometer_km=1000,
    )
    command = command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="locate")
    invoice = invoice_exceptional_create(
        actor=alice.manager,
        organisation=alice.organisation,
        buyer=alice.member,
        lines=[LineInput("Franchise dommages", Decimal("300.00"), kind="damage")],
        reason="Alice damage excess",
    )
    draft = Invoice.objects.create(
        organisation=alice.organisation, buyer=alice.member, created_at=now, reason="Alice draft"
    )
    invoice_line_add(
        actor=alice.manager,
        invoice=draft,
        line=LineInput("Nettoyage", Decimal("30.00"), kind="cleaning"),
    )
    # Alice takes cards: her member saved one, and paid a cleaning invoice
    # with it; the damage excess is still due.
    param_set(
        actor=alice.manager, key="payment_card_enabled", value=True, organisation=alice.organisation
    )
    setup = payment_method_setup(member=alice.member, organisation=alice.organisation)
    stripe.confirm_setup(setup.profile.setup_ref)
    payment_method_refresh(setup.profile)
    payment = invoice_collect(
        invoice_exceptional_create(
            actor=alice.manager,
            organisation=alice.organisation,
            buyer=alice.member,
            lines=[LineInput("Nettoyage", Decimal("40.00"), kind="cleaning")],
            reason="Alice cleaning",
        ).pk
    )
    assert payment is not None and payment.provider_ref
    alert = ManagerAlert.objects.create(
        organisation=alice.organisation,
        kind="late_return",
        booking=started,
        message="Alice car late",
        created_at=now,
    )
    # Alice charges business use back internally, and has a payout statement.
    param_set(
        actor=alice.manager,
        key="billing_internal_chargeback",
        value=True,
        organisation=alice.organisation,
    )
    statement = payout_statement_create(
        actor=alice.manager, organisation=alice.organisation, period_start=MONTH_BEFORE
    )
    # Notifications: a device for push, two ended trips (one answered with
    # its survey), a draft mailing.
    device = PushSubscription.objects.create(
        user=alice.member,
        endpoint="https://push.example.net/alice-device",
        p256dh="B",
        auth="A",
        created_at=now,
    )
    ended, answered = [
        booking_create(
            actor=alice.member,
            member=alice.member,
            community=alice.community,
            vehicle=vehicle,
            start=now,
            end=now + dt.timedelta(hours=2),
            purpose="trip",
        )
        for vehicle in (
            f.VehicleFactory(
                organisation=alice.organisation,
                home_station=alice.station,
                communities=[alice.community],
            )
            for _ in range(2)
        )
    ]
    for trip in (ended, answered):
        booking_start(actor=alice.member, booking=trip)
        booking_end(actor=alice.member, booking=trip, km=3)
    survey_answer(
        user=alice.member,
        booking=answered,
        rating=2,
        cleanliness=2,
        comment="Alice survey comment",
    )
    mailing = mailing_create(
        actor=alice.manager,
        organisation=alice.organisation,
        community=alice.community,
        subject_fr="Alice mailing",
        body_fr="Bonjour",
    )
    second_manager = f.UserFactory(email="second-manager-alice@example.org")
    f.OrganisationManagerFactory(user=second_manager, organisation=alice.organisation)
    box = f.BoxFactory(organisation=alice.organisation, box_id="box-alice-spare")
    # Carpooling: Alice's member offers the seats of her booking, a rider
    # asks to join; another driver offers a trip Alice's member may ask for.
    offer = carpool_offer_create(
        driver=alice.member,
        booking=booking,
        seats=2,
        destination="Mairie",
        destination_latitude=Decimal("44.74"),
        destination_longitude=Decimal("5.055"),
        note="Alice carpool note",
    )
    rider = carpool_member(alice, "rider-alice@example.org")
    carpool_ask = carpool_request_create(passenger=rider, offer=offer)
    other_driver = carpool_member(alice, "driver-alice@example.org")
    other_offer = carpool_offer_create(
        driver=other_driver,
        booking=booking_create(
            actor=other_driver,
            member=other_driver,
            community=alice.community,
            vehicle=f.VehicleFactory(
                organisation=alice.organisation,
                home_station=alice.station,
                communities=[alice.community],
            ),
            start=SOON,
            end=SOON + dt.timedelta(hours=2),
            purpose="trip",
        ),
        seats=2,
        destination="Mairie",
        destination_latitude=Decimal("44.74"),
        destination_longitude=Decimal("5.055"),
    )
    # Inspections: a draft check-in of the current booking and a submitted
    # check-out of the trip under way, each with a photo; an incident.
    param_set(
        actor=alice.manager,
        key="inspection_photo_angles",
        value=["front"],
        organisation=alice.organisation,
    )
    readings = {"energy_pct": 80, "odometer_km": 100, "cleanliness": 4}
    check_in, check_out = [
        inspection_create(actor=alice.member, booking=b, kind=kind)
        for b, kind in ((current, "check_in"), (started, "check_out"))
    ]
    for inspection in (check_in, check_out):
        inspection_update(
            actor=alice.member,
            inspection=inspection,
            data={**readings, "comment": "Alice inspection note"},
        )
        inspection_photo_add(
            actor=alice.member, inspection=inspection, angle="front", upload=_photo()
        )
    check_in_photo = check_in.photos.get()
    inspection_submit(actor=alice.member, inspection=check_out)
    incident = incident_report(
        actor=alice.member,
        vehicle=started.vehicle,
        kind="damage",
        description="Alice incident note",
    )
    incident_photo = incident_photo_add(actor=alice.member, incident=incident, upload=_photo())
    alice.station.name = "Gare d'Alice"
    alice.station.save()
    params = {
        "org_id": alice.organisation.pk,
        "slug": alice.community.slug,
        "token_id": token.pk,
        "user_id": pending.pk,
        "suspension_id": suspension.pk,
        "badge_id": alice.badge.pk,
        "station_id": alice.station.pk,
        "vehicle_id": alice.vehicle.pk,
        "box_id": box.box_id,
        "kind": "licence_document",
        "key": "member_min_age_years",
        "invitation_id": invitation.pk,
        "second_manager_id": second_manager.pk,
        "tariff_id": tariff.pk,
        "booking_id": booking.pk,
        "current_booking_id": current.pk,
        "started_booking_id": started.pk,
        "alert_id": alert.pk,
        "command_id": str(command.pk),
        "invoice_id": invoice.pk,
        "draft_invoice_id": draft.pk,
        "position": draft.lines.get().position,
        "community_id": alice.community.pk,
        "subscription_id": device.pk,
        "ended_booking_id": ended.pk,
        "mailing_id": mailing.pk,
        "statement_id": statement.pk,
        "offer_id": offer.pk,
        "other_offer_id": other_offer.pk,
        "request_id": carpool_ask.pk,
        "inspection_id": check_in.pk,
        "check_out_id": check_out.pk,
        "photo_id": check_in_photo.pk,
        "incident_id": incident.pk,
        "incident_photo_id": incident_photo.pk,
        "started_vehicle_id": started.vehicle_id,
    }
    markers = [
        alice.organisation.name,
        alice.organisation.slug,
        alice.community.slug,
        alice.vehicle.plate,
        alice.member.email,
        alice.manager.email,
        pending.email,
        alice.badge.uid,
        alice.box.box_id,
        "invited-alice@example.org",
        "Gare d",
        "second-manager-alice@example.org",
        "Tarif d",
        "Alice tour",
        "Alice car late",
        "Alice damage excess",
        "Alice draft",
        payment.provider_ref,
        "alice-device",
        "Alice survey comment",
        "Alice mailing",
        "Alice carpool note",
        "Alice inspection note",
        "Alice incident note",
    ]
    return World(alice, bob, params, markers)


def _photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile("photo.png", out.getvalue(), content_type="image/png")


def _fill(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return params[value[1:-1]]
    return value


def _call(user: Any, method: str, path: str, case: Case, params: dict[str, Any]) -> Any:
    params = {**params, **{name: params[source] for name, source in case.params.items()}}
    url = "/api/v1" + path.format(**params) + (case.query and f"?{case.query.format(**params)}")
    body = _fill(case.body, params)
    if case.upload:
        client = Client()
        client.force_login(user)
        return client.post(url, {"file": _photo()})
    if method in {"POST", "PUT", "PATCH"} and body is None:
        body = {}
    return Api(user).call(method.lower(), url, body)


def _owner(world: World, case: Case, operator: Any) -> Any:
    return {"manager": world.alice.manager, "member": world.alice.member, "operator": operator}[
        case.owner
    ]


TENANT_ROUTES = sorted(key for key, case in ROUTES.items() if isinstance(case, Case))


@pytest.mark.parametrize(("method", "path"), TENANT_ROUTES)
def test_another_organisation_gets_nothing_of_alices(
    world: World, operator: Any, method: str, path: str
) -> None:
    case: Case = ROUTES[(method, path)]
    for intruder in (world.bob.manager, world.bob.member):
        response = _call(intruder, method, path, case, world.params)
        if case.listing:
            assert response.status_code == 200, response.content
        else:
            assert response.status_code in {401, 403, 404}, (intruder, response.content)
        text = response.content.decode()
        for marker in world.markers:
            assert marker not in text, (intruder.email, marker)
    # The same request from Alice's side goes through.
    response = _call(_owner(world, case, operator), method, path, case, world.params)
    assert response.status_code < 300, response.content
    if case.listing:
        assert any(marker in response.content.decode() for marker in world.markers)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        key
        for key in TENANT_ROUTES
        if "{org_id}" in key[1] and key[1].replace("{key}", "").replace("{kind}", "").count("{") > 1
    ]
    + [("POST", "/organisations/{org_id}/badges"), ("POST", "/organisations/{org_id}/vehicles")],
)
def test_bob_cannot_reach_alices_objects_through_his_own_organisation(
    world: World, method: str, path: str
) -> None:
    """Bob's manager uses his own organisation in the path but Alice's ids."""
    case: Case = ROUTES[(method, path)]
    params = {**world.params, "org_id": world.bob.organisation.pk}
    response = _call(world.bob.manager, method, path, case, params)
    assert response.status_code in {403, 404}, response.content


def test_bob_cannot_fit_his_box_to_alices_vehicle(world: World) -> None:
    response = Api(world.bob.manager).post(
        f"boxes/{world.bob.box.box_id}/fit", {"vehicle_id": world.alice.vehicle.pk}
    )
    assert response.status_code == 404
    world.bob.box.refresh_from_db()
    assert world.bob.box.vehicle_id == world.bob.vehicle.pk


def test_a_refused_change_changes_nothing(world: World) -> None:
    before = (world.alice.vehicle.seats, Suspension.objects.count(), ApiToken.objects.count())
    Api(world.bob.manager).patch(f"vehicles/{world.alice.vehicle.pk}", {"seats": 2})
    Api(world.bob.manager).post(
        f"organisations/{world.alice.organisation.pk}/members/{world.alice.member.pk}/suspend",
        {"reason": "x"},
    )
    Api(world.bob.member).delete(f"auth/tokens/{world.params['token_id']}")
    world.alice.vehicle.refresh_from_db()
    after = (world.alice.vehicle.seats, Suspension.objects.count(), ApiToken.objects.count())
    assert after == before


def test_self_routes_act_on_the_callers_own_account_only(world: World) -> None:
    """/me routes take no id: what Bob's member sees is his own profile."""
    response = Api(world.bob.member).get("me")
    assert response.json()["email"] == world.bob.member.email
    assert world.alice.member.email not in response.content.decode()
    upload = SimpleUploadedFile("permis.pdf", b"%PDF-1.4 bob", content_type="application/pdf")
    client = Client()
    client.force_login(world.bob.member)
    client.post("/api/v1/me/profile/documents/licence_document", {"file": upload})
    own_doc = client.get("/api/v1/me/profile/documents/licence_document")
    assert b"bob" in b"".join(own_doc.streaming_content)


def test_token_of_another_organisation_is_scoped_like_a_session(world: World) -> None:
    _, raw = api_token_create(user=world.bob.manager, name="cli")
    client = Client()
    headers = {"Authorization": f"Bearer {raw}"}
    response = client.get(f"/api/v1/organisations/{world.alice.organisation.pk}", headers=headers)
    assert response.status_code == 404
    response = client.get("/api/v1/vehicles", headers=headers)
    plates = [v["plate"] for v in response.json()["items"]]
    assert plates == [world.bob.vehicle.plate]
