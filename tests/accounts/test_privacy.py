from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from flotte.accounts.models import ApiToken, DriverProfile, Invitation, User
from flotte.accounts.organisations import manager_appoint
from flotte.accounts.privacy import ABOUT, member_data_export, member_erase
from flotte.accounts.signup import invitation_create
from flotte.accounts.tokens import api_token_create
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.errors import Conflict, PermissionDenied
from flotte.core.models import AuditEntry
from flotte.fleet.models import Badge
from flotte.telematics.models import DigitalKey, PrivateModeSwitch, Telemetry, Trip
from tests import factories as f
from tests.booking.test_services import NOW, book, hours
from tests.conftest import Api, Tenant


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def closed(tenant: Tenant, start: float = 2, end: float = 4, total: str = "12.50") -> Booking:
    """A booking driven, returned and priced."""
    booking = book(tenant, start, end)
    Booking.objects.filter(pk=booking.pk).update(
        state=Booking.State.CLOSED,
        started_at=hours(start),
        ended_at=hours(end),
        actual_km=42,
        final_total=Decimal(total),
    )
    booking.refresh_from_db()
    return booking


def trip_of(booking: Booking, **positions: Any) -> Trip:
    return Trip.objects.create(
        booking=booking,
        organisation=booking.organisation,
        vehicle=booking.vehicle,
        started_at=booking.start,
        ended_at=booking.end,
        start_odometer_km=1000,
        end_odometer_km=1042,
        **positions,
    )


POSITIONS = {
    "start_latitude": 44.7335,
    "start_longitude": 5.0416,
    "end_latitude": 44.9,
    "end_longitude": 5.1,
}


def as_text(data: dict[str, Any]) -> str:
    return json.dumps(data)  # fails unless the export is JSON-ready


# Export
def test_export_holds_the_members_profile_badges_and_bookings_and_nothing_of_others(
    alice: Tenant, bob: Tenant
) -> None:
    booking = closed(alice)
    closed(bob)
    data = member_data_export(alice.member)
    text = as_text(data)
    assert data["account"]["email"] == alice.member.email
    assert data["driver_profile"]["licence_number"] == "120575100123"
    assert data["driver_profile"]["licence_document"]["file"].endswith(".pdf")
    assert [b["uid"] for b in data["badges"]] == [alice.badge.uid]
    [exported] = data["bookings"]
    assert exported["id"] == booking.pk
    assert exported["vehicle"] == alice.vehicle.plate
    assert exported["final_total"] == "12.50"
    assert exported["start"] == booking.start.isoformat()
    for other in (
        bob.member.email,
        bob.manager.email,
        bob.organisation.name,
        bob.vehicle.plate,
        bob.badge.uid,
        alice.manager.email,
    ):
        assert other not in text, other


def test_export_spans_every_organisation_of_the_member(alice: Tenant, bob: Tenant) -> None:
    f.MembershipFactory(user=alice.member, community=bob.community)
    data = member_data_export(alice.member)
    assert {m["organisation"] for m in data["memberships"]} == {
        alice.organisation.name,
        bob.organisation.name,
    }


def test_export_describes_each_part_in_french_and_english(alice: Tenant) -> None:
    data = member_data_export(alice.member)
    parts = set(data) - {"about"}
    assert set(ABOUT["fr"]) == parts
    assert set(ABOUT["en"]) == parts


def test_export_has_trip_positions_only_while_they_are_kept(alice: Tenant) -> None:
    trip_of(closed(alice, 2, 4), **POSITIONS)
    trip_of(closed(alice, 6, 8))  # positions already purged
    trips = member_data_export(alice.member)["trips"]
    assert trips[0]["start_position"] == {"latitude": 44.7335, "longitude": 5.0416}
    assert trips[0]["km"] == 42
    assert trips[1]["start_position"] is None
    assert trips[1]["end_position"] is None


def test_export_names_api_tokens_but_never_their_secret(alice: Tenant) -> None:
    token, raw = api_token_create(user=alice.member, name="phone")
    text = as_text(member_data_export(alice.member))
    assert token.prefix in text
    assert raw not in text
    assert token.secret_hash not in text


def test_export_through_the_api_is_a_json_attachment(alice: Tenant) -> None:
    closed(alice)
    response = Api(alice.member).get("me/export")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="flotte-data.json"'
    body = response.json()
    assert set(body) == set(member_data_export(alice.member))
    assert body["bookings"][0]["vehicle"] == alice.vehicle.plate


# Erasure
def test_erasure_anonymises_the_account(alice: Tenant) -> None:
    user = alice.member
    user.phone = "0601020304"
    user.calendar_token = "x" * 43
    user.save()
    member_erase(actor=user, user=user)
    user = User.objects.get(pk=user.pk)
    assert user.email == f"erased-{user.pk}@invalid"
    assert (user.first_name, user.last_name, user.phone) == ("Erased", "Erased", "")
    assert not user.is_active
    assert not user.has_usable_password()
    assert user.calendar_token == ""
    profile = DriverProfile.objects.get(user=user)
    assert profile.birth_date is None
    assert profile.licence_number == ""


def test_erasure_deletes_the_documents_from_storage(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    profile = DriverProfile.objects.get(user=alice.member)
    paths = [profile.licence_document.path, profile.identity_document.path]
    assert all(os.path.exists(path) for path in paths)
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(actor=alice.member, user=alice.member)
    assert not any(os.path.exists(path) for path in paths)
    profile.refresh_from_db()
    assert not profile.licence_document
    assert not profile.identity_document


def test_erasure_keeps_bookings_with_their_totals(alice: Tenant) -> None:
    booking = closed(alice, total="37.80")
    member_erase(actor=alice.member, user=alice.member)
    booking.refresh_from_db()
    assert booking.member_id == alice.member.pk
    assert booking.final_total == Decimal("37.80")
    assert booking.actual_km == 42


def test_erasure_deactivates_and_unassigns_badges(alice: Tenant) -> None:
    member_erase(actor=alice.member, user=alice.member)
    badge = Badge.objects.get(pk=alice.badge.pk)
    assert not badge.active
    assert badge.deactivated_at == NOW
    assert badge.user is None


def test_erasure_blanks_trip_positions_and_deletes_keys_and_private_mode_switches(
    alice: Tenant,
) -> None:
    booking = closed(alice)
    trip = trip_of(booking, **POSITIONS)
    PrivateModeSwitch.objects.create(trip=trip, on=True, at=hours(2.5))
    DigitalKey.objects.create(
        key_id="key-alice",
        booking=booking,
        organisation=alice.organisation,
        box=alice.box,
        not_before=hours(2),
        not_after=hours(4),
        issued_at=hours(1),
    )
    member_erase(actor=alice.member, user=alice.member)
    trip.refresh_from_db()
    assert (trip.start_latitude, trip.start_longitude, trip.end_latitude) == (None, None, None)
    assert trip.end_odometer_km == 1042
    assert not PrivateModeSwitch.objects.filter(trip=trip).exists()
    assert not DigitalKey.objects.filter(booking=booking).exists()


def test_erasure_blanks_the_positions_recorded_during_the_members_trips(alice: Tenant) -> None:
    trip_of(closed(alice, 2, 4), **POSITIONS)

    def telemetry(seq: int, at: float) -> Telemetry:
        return Telemetry.objects.create(
            box=alice.box,
            organisation=alice.organisation,
            vehicle=alice.vehicle,
            seq=seq,
            ts=hours(at),
            received_at=hours(at),
            latitude=44.8,
            longitude=5.05,
        )

    during, after = telemetry(1, 3), telemetry(2, 6)
    member_erase(actor=alice.member, user=alice.member)
    during.refresh_from_db()
    after.refresh_from_db()
    assert (during.latitude, during.longitude) == (None, None)
    assert after.latitude == 44.8


def test_erasure_deletes_api_tokens_and_pending_invitations(alice: Tenant) -> None:
    api_token_create(user=alice.member, name="phone")
    f.InvitationFactory(community=alice.community, email=alice.member.email)
    other = f.InvitationFactory(community=alice.community, email="someone@example.org")
    member_erase(actor=alice.member, user=alice.member)
    assert not ApiToken.objects.filter(user=alice.member).exists()
    assert list(Invitation.objects.all()) == [other]


def test_erasure_is_refused_while_a_booking_is_confirmed_and_changes_nothing(
    alice: Tenant,
) -> None:
    book(alice, 2, 4)
    with pytest.raises(Conflict) as error:
        member_erase(actor=alice.member, user=alice.member)
    assert error.value.code == "active_bookings"
    user = User.objects.get(pk=alice.member.pk)
    assert user.email == "member-alice@example.org"
    assert user.is_active
    assert Badge.objects.get(pk=alice.badge.pk).active
    assert DriverProfile.objects.get(user=user).licence_number == "120575100123"
    assert not AuditEntry.objects.filter(action="member.erased").exists()


def test_another_user_cannot_erase_someone_else(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        member_erase(actor=alice.manager, user=alice.member)
    assert User.objects.get(pk=alice.member.pk).is_active


def test_the_operator_may_erase_a_member(alice: Tenant, operator: User) -> None:
    member_erase(actor=operator, user=alice.member)
    assert User.objects.get(pk=alice.member.pk).email == f"erased-{alice.member.pk}@invalid"


def test_erasing_an_erased_account_again_is_refused(alice: Tenant) -> None:
    member_erase(actor=alice.member, user=alice.member)
    with pytest.raises(Conflict) as error:
        member_erase(actor=alice.member, user=alice.member)
    assert error.value.code == "already_erased"


@pytest.mark.parametrize("body", [{}, {"confirm": "erase"}, {"confirm": "yes"}])
def test_erasure_through_the_api_needs_the_confirmation(alice: Tenant, body: Any) -> None:
    response = Api(alice.member).post("me/erase", body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "confirmation_required"
    assert User.objects.get(pk=alice.member.pk).is_active


def test_erasure_through_the_api_logs_the_member_out(alice: Tenant) -> None:
    api = Api(alice.member)
    response = api.post("me/erase", {"confirm": "ERASE"})
    assert response.status_code == 204, response.content
    assert not User.objects.get(pk=alice.member.pk).is_active
    assert api.get("me").status_code == 401


def test_after_erasure_the_old_email_cannot_log_in(alice: Tenant) -> None:
    email = alice.member.email
    member_erase(actor=alice.member, user=alice.member)
    assert not Client().login(email=email, password=f.PASSWORD)
    response = Api().post("auth/token", {"email": email, "password": f.PASSWORD, "name": "x"})
    assert response.status_code == 401


def test_erasure_is_audited_per_organisation_without_personal_data(
    alice: Tenant, bob: Tenant
) -> None:
    f.MembershipFactory(user=alice.member, community=bob.community)
    closed(alice)
    email, name = alice.member.email, alice.member.last_name
    member_erase(actor=alice.member, user=alice.member)
    entries = AuditEntry.objects.filter(action="member.erased")
    assert {e.organisation_id for e in entries} == {alice.organisation.pk, bob.organisation.pk}
    for entry in entries:
        text = json.dumps(entry.data) + entry.actor_label
        assert email not in text
        assert name not in text
        assert entry.actor_label == f"erased-{alice.member.pk}@invalid"
    assert (
        AuditEntry.objects.filter(actor=alice.member)
        .exclude(actor_label=f"erased-{alice.member.pk}@invalid")
        .count()
        == 0
    )
    assert AuditEntry.objects.filter(actor=alice.member, action="booking.created").exists()


def test_erasure_replaces_the_email_named_in_audit_data(alice: Tenant, bob: Tenant) -> None:
    email = alice.member.email
    invitation_create(actor=bob.manager, community=bob.community, email=email)
    manager_appoint(actor=alice.manager, organisation=alice.organisation, user=alice.member)
    member_erase(actor=alice.member, user=alice.member)
    assert not [e for e in AuditEntry.objects.all() if email in json.dumps(e.data)]
    appointed = AuditEntry.objects.get(action="organisation.manager_appointed")
    assert appointed.data == {"user": f"erased-{alice.member.pk}@invalid"}
