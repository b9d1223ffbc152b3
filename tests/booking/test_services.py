from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flotte.accounts.models import Membership
from flotte.accounts.parameters import param_set
from flotte.booking import params
from flotte.booking.models import Booking
from flotte.booking.services import availability, booking_cancel, booking_create
from flotte.core import clock
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from flotte.fleet.models import Vehicle
from flotte.pricing.services import tariff_create
from tests import factories as f
from tests.conftest import Tenant

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def hours(h: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=h)


def book(tenant: Tenant, start: float = 2, end: float = 4, **extra: Any) -> Booking:
    values: dict[str, Any] = {"purpose": "visite chantier", **extra}
    vehicle = values.pop("vehicle", tenant.vehicle)
    member = values.pop("member", tenant.member)
    actor = values.pop("actor", member)
    return booking_create(
        actor=actor,
        member=member,
        community=tenant.community,
        vehicle=vehicle,
        start=hours(start),
        end=hours(end),
        **values,
    )


def set_param(tenant: Tenant, key: str, value: Any, **target: Any) -> None:
    param_set(
        actor=tenant.manager, key=key, value=value, organisation=tenant.organisation, **target
    )


def thermal(tenant: Tenant) -> Vehicle:
    vehicle = f.VehicleFactory(
        organisation=tenant.organisation, home_station=tenant.station, energy="petrol", co2_g_km=120
    )
    vehicle.communities.add(tenant.community)
    return vehicle


def test_a_validated_member_books_a_vehicle_and_it_is_audited(alice: Tenant) -> None:
    booking = book(alice)
    assert booking.state == "confirmed"
    assert booking.organisation == alice.organisation
    assert AuditEntry.objects.filter(action="booking.created", object_id=str(booking.pk)).exists()


def test_an_overlapping_booking_is_a_conflict(alice: Tenant, bob: Tenant) -> None:
    book(alice, 2, 4)
    other = f.UserFactory()
    f.MembershipFactory(
        user=other, community=alice.community, group=alice.member.memberships.get().group
    )
    f.DriverProfileFactory(user=other)
    f.DriverApprovalFactory(organisation=alice.organisation, user=other, status="validated")
    with pytest.raises(Conflict, match="already booked"):
        book(alice, 3, 5, member=other)
    assert Booking.objects.filter(vehicle=alice.vehicle).count() == 1


def test_the_buffer_and_the_charging_buffer_keep_time_free_after_a_booking(alice: Tenant) -> None:
    first = book(alice, 2, 4)
    # Electric: 15 min buffer + 30 min charging.
    assert first.blocked_until == hours(4.75)
    booking_cancel(actor=alice.member, booking=first)
    set_param(alice, params.EV_CHARGING_BUFFER.key, 0)
    set_param(alice, params.BUFFER.key, 60)
    assert book(alice, 2, 4).blocked_until == hours(5)


def test_a_thermal_vehicle_has_no_charging_buffer(alice: Tenant) -> None:
    assert book(alice, 2, 4, vehicle=thermal(alice)).blocked_until == hours(4.25)


def test_the_next_booking_may_start_once_the_buffer_is_over(alice: Tenant) -> None:
    book(alice, 2, 4)
    set_param(alice, params.MAX_CONCURRENT.key, 5)
    with pytest.raises(Conflict):
        book(alice, 4.5, 6)
    assert book(alice, 4.75, 6).start == hours(4.75)


def test_only_validated_members_book(alice: Tenant) -> None:
    approval = alice.member.approvals.get()
    approval.status = "submitted"
    approval.save()
    with pytest.raises(PermissionDenied) as error:
        book(alice)
    assert error.value.code == "not_validated"


def test_a_vehicle_outside_the_community_or_in_maintenance_is_not_bookable(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(NotFound):
        book(alice, vehicle=bob.vehicle)
    Vehicle.objects.filter(pk=alice.vehicle.pk).update(status="maintenance")
    with pytest.raises(NotFound):
        book(alice)


def test_lead_time(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed, match="past"):
        book(alice, -1, 2)
    assert book(alice, 0, 1).start == NOW
    set_param(alice, params.LEAD_TIME.key, 120)
    with pytest.raises(ValidationFailed, match="120 minutes") as error:
        book(alice, 1, 3, vehicle=thermal(alice))
    assert error.value.code == "too_late_to_book"


def test_minimum_and_maximum_duration(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed, match="at least 30 minutes"):
        book(alice, 2, 2.25)
    set_param(alice, params.MAX_DURATION.key, 2)
    with pytest.raises(ValidationFailed, match="at most 2 hours"):
        book(alice, 2, 5)
    # The vehicle's own setting wins.
    set_param(alice, params.MIN_DURATION.key, 90, vehicle=alice.vehicle)
    with pytest.raises(ValidationFailed, match="90 minutes"):
        book(alice, 2, 3)


def test_booking_horizon(alice: Tenant) -> None:
    set_param(alice, params.HORIZON.key, 7)
    with pytest.raises(ValidationFailed) as error:
        book(alice, 24 * 8, 24 * 8 + 2)
    assert error.value.code == "beyond_horizon"
    assert book(alice, 24 * 6, 24 * 6 + 2)


def test_heavy_users_hold_a_limited_number_of_bookings(alice: Tenant) -> None:
    set_param(alice, params.MAX_CONCURRENT.key, 1)
    book(alice, 2, 4)
    with pytest.raises(ValidationFailed) as error:
        book(alice, 30, 32, vehicle=thermal(alice))
    assert error.value.code == "too_many_bookings"


def test_monthly_hours_limit(alice: Tenant) -> None:
    set_param(alice, params.MAX_HOURS_PER_MONTH.key, 5)
    set_param(alice, params.MAX_CONCURRENT.key, 10)
    book(alice, 2, 6)
    with pytest.raises(ValidationFailed) as error:
        book(alice, 30, 32, vehicle=thermal(alice))
    assert error.value.code == "monthly_hours_exceeded"
    assert book(alice, 30, 31, vehicle=thermal(alice))


def test_business_use_needs_a_purpose_unless_the_organisation_waives_it(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        book(alice, purpose="")
    assert error.value.code == "purpose_required"
    assert book(alice, purpose="", cost_centre="VOIRIE")
    set_param(alice, params.BUSINESS_PURPOSE_REQUIRED.key, False)
    assert book(alice, 30, 32, purpose="", vehicle=thermal(alice))


def test_private_use_only_for_groups_that_allow_it(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        book(alice, use="private")
    group = alice.member.memberships.get().group
    group.private_use_allowed = True
    group.save()
    assert book(alice, use="private").use == "private"


def test_a_manager_books_for_a_colleague_a_member_does_not(alice: Tenant) -> None:
    booking = book(alice, actor=alice.manager)
    assert (booking.member, booking.booked_by) == (alice.member, alice.manager)
    colleague = f.UserFactory()
    f.MembershipFactory(user=colleague, community=alice.community)
    with pytest.raises(PermissionDenied):
        book(alice, 30, 32, actor=colleague)


def test_the_quote_is_stored_with_the_booking(alice: Tenant) -> None:
    tariff_create(
        actor=alice.manager,
        community=alice.community,
        name="2026",
        valid_from=dt.date(2026, 1, 1),
        hourly_rate=Decimal("4.00"),
    )
    booking = book(alice, 2, 4, use="business")
    assert booking.quoted_total == Decimal("8.00")


def test_cancelling_is_free_before_the_deadline_then_costs_the_fee(alice: Tenant) -> None:
    early = book(alice, 48, 50)
    assert booking_cancel(actor=alice.member, booking=early).cancellation_fee == Decimal("0.00")
    late = book(alice, 10, 12)
    cancelled = booking_cancel(actor=alice.member, booking=late)
    assert cancelled.cancellation_fee == Decimal("5.00")
    assert cancelled.state == "cancelled" and cancelled.sequence == 1
    set_param(alice, params.CANCEL_FREE_HOURS.key, 6)
    set_param(alice, params.CANCEL_FEE.key, "12.50")
    assert booking_cancel(actor=alice.member, booking=book(alice, 7, 9)).cancellation_fee == 0
    assert booking_cancel(actor=alice.member, booking=book(alice, 5, 6)).cancellation_fee == (
        Decimal("12.50")
    )


def test_the_deadline_counts_from_the_original_start(alice: Tenant) -> None:
    booking = book(alice, 48, 50)
    Booking.objects.filter(pk=booking.pk).update(start=hours(10), original_start=hours(10))
    booking.refresh_from_db()
    assert booking_cancel(actor=alice.member, booking=booking).cancellation_fee == Decimal("5.00")


def test_a_cancelled_booking_frees_the_vehicle_and_cannot_be_cancelled_twice(alice: Tenant) -> None:
    booking = book(alice)
    booking_cancel(actor=alice.member, booking=booking)
    with pytest.raises(Conflict):
        booking_cancel(actor=alice.member, booking=booking)
    assert book(alice).state == "confirmed"


def test_search_returns_free_vehicles_with_filters_and_range(alice: Tenant) -> None:
    petrol = thermal(alice)
    book(alice, 2, 4)
    offers = availability(
        member=alice.member, community=alice.community, start=hours(3), end=hours(5)
    )
    assert [o.vehicle for o in offers] == [petrol]
    later = availability(
        member=alice.member, community=alice.community, start=hours(6), end=hours(8)
    )
    assert {o.vehicle for o in later} == {petrol, alice.vehicle}
    electric = availability(
        member=alice.member,
        community=alice.community,
        start=hours(6),
        end=hours(8),
        energy="electric",
    )
    assert [o.vehicle for o in electric] == [alice.vehicle]
    far = availability(
        member=alice.member,
        community=alice.community,
        start=hours(6),
        end=hours(8),
        declared_km=400,
    )
    assert [o.vehicle for o in far] == []


def test_search_refuses_someone_outside_the_community(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(NotFound):
        availability(member=bob.member, community=alice.community, start=hours(2), end=hours(4))


def test_membership_group_restriction_applies_to_booking(alice: Tenant) -> None:
    other_group = f.UserGroupFactory(organisation=alice.organisation, name="Élus")
    alice.vehicle.allowed_groups.set([other_group])
    with pytest.raises(NotFound):
        book(alice)
    Membership.objects.filter(user=alice.member).update(group=other_group)
    assert book(alice).vehicle == alice.vehicle


def test_search_honours_a_buffer_set_on_one_vehicle(alice: Tenant) -> None:
    petrol = thermal(alice)
    set_param(alice, params.BUFFER.key, 120, vehicle=alice.vehicle)
    set_param(alice, params.MAX_CONCURRENT.key, 5)
    book(alice, 2, 4)
    book(alice, 2, 4, vehicle=petrol)
    offers = availability(
        member=alice.member, community=alice.community, start=hours(5), end=hours(6)
    )
    # The electric car is blocked until 4 + 2 h + 30 min charging; the
    # petrol one only for the organisation's 15 minutes.
    assert [o.vehicle.pk for o in offers] == [petrol.pk]


def test_search_reads_parameters_once_for_the_whole_fleet(
    alice: Tenant, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        thermal(alice)
    with django_assert_max_num_queries(20):
        offers = availability(
            member=alice.member,
            community=alice.community,
            start=hours(5),
            end=hours(6),
            declared_km=50,
        )
    assert len(offers) == 31


def test_a_group_may_be_limited_to_some_vehicle_categories(alice: Tenant) -> None:
    group = alice.member.memberships.get().group
    set_param(alice, params.ALLOWED_CATEGORIES.key, ["utility"], group=group)
    with pytest.raises(NotFound):
        book(alice)
    van = thermal(alice)
    Vehicle.objects.filter(pk=van.pk).update(category="utility")
    assert book(alice, vehicle=van).vehicle == van
    with pytest.raises(ValidationFailed, match="may only hold"):
        set_param(alice, params.ALLOWED_CATEGORIES.key, ["spaceship"])


def test_the_fee_shown_before_cancelling_is_the_fee_charged(alice: Tenant) -> None:
    from flotte.booking.services import booking_cancellation_fee

    early, late = book(alice, 48, 50), book(alice, 10, 12)
    assert booking_cancellation_fee(early) == Decimal("0.00")
    assert booking_cancellation_fee(late) == Decimal("5.00")
    assert booking_cancel(actor=alice.member, booking=late).cancellation_fee == Decimal("5.00")


def test_use_rules_say_what_the_booking_form_asks(alice: Tenant) -> None:
    from flotte.booking.services import membership_of, use_rules

    membership = membership_of(alice.member, alice.community)
    assert use_rules(membership).purpose_required
    assert not use_rules(membership).private_allowed
    assert membership.group is not None
    membership.group.private_use_allowed = True
    membership.group.save()
    membership.cost_centre = "VOIRIE"
    membership.save()
    rules = use_rules(membership_of(alice.member, alice.community))
    assert rules.private_allowed and not rules.purpose_required
