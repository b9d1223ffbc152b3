from __future__ import annotations

from typing import Any

from flotte.fleet.selectors import stations_visible_to, vehicles_visible_to
from tests import factories as f
from tests.conftest import Tenant


def test_member_sees_the_stations_shared_with_their_community(alice: Tenant, bob: Tenant) -> None:
    assert list(stations_visible_to(alice.member)) == [alice.station]


def test_member_does_not_see_a_station_not_shared_with_their_community(alice: Tenant) -> None:
    hidden = f.StationFactory(organisation=alice.organisation)
    assert hidden not in stations_visible_to(alice.member)


def test_member_does_not_see_an_inactive_station(alice: Tenant) -> None:
    alice.station.active = False
    alice.station.save()
    assert alice.station not in stations_visible_to(alice.member)


def test_member_sees_the_vehicles_shared_with_their_community(alice: Tenant, bob: Tenant) -> None:
    assert list(vehicles_visible_to(alice.member)) == [alice.vehicle]


def test_member_does_not_see_a_vehicle_not_shared_with_their_community(alice: Tenant) -> None:
    other_community = f.CommunityFactory(organisation=alice.organisation)
    hidden = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    hidden.communities.add(other_community)
    assert hidden not in vehicles_visible_to(alice.member)


def test_vehicle_restricted_to_another_group_is_hidden_from_the_member(alice: Tenant) -> None:
    elected = f.UserGroupFactory(organisation=alice.organisation, name="Elected")
    alice.vehicle.allowed_groups.add(elected)
    assert alice.vehicle not in vehicles_visible_to(alice.member)


def test_vehicle_restricted_to_the_member_group_is_visible(alice: Tenant) -> None:
    elected = f.UserGroupFactory(organisation=alice.organisation, name="Elected")
    alice.vehicle.allowed_groups.add(elected, alice.community.default_group)
    assert list(vehicles_visible_to(alice.member)) == [alice.vehicle]


def test_vehicle_shared_with_two_communities_of_the_member_is_listed_once(alice: Tenant) -> None:
    second = f.CommunityFactory(organisation=alice.organisation)
    f.MembershipFactory(user=alice.member, community=second)
    alice.vehicle.communities.add(second)
    assert list(vehicles_visible_to(alice.member)) == [alice.vehicle]


def test_manager_sees_every_vehicle_of_their_organisation_only(alice: Tenant, bob: Tenant) -> None:
    unshared = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    elected = f.UserGroupFactory(organisation=alice.organisation, name="Elected")
    unshared.allowed_groups.add(elected)
    assert set(vehicles_visible_to(alice.manager)) == {alice.vehicle, unshared}


def test_manager_sees_every_station_of_their_organisation_only(alice: Tenant, bob: Tenant) -> None:
    unshared = f.StationFactory(organisation=alice.organisation, active=False)
    assert set(stations_visible_to(alice.manager)) == {alice.station, unshared}


def test_operator_sees_the_vehicles_of_every_organisation(
    alice: Tenant, bob: Tenant, operator: Any
) -> None:
    assert set(vehicles_visible_to(operator)) == {alice.vehicle, bob.vehicle}


def test_operator_sees_the_stations_of_every_organisation(
    alice: Tenant, bob: Tenant, operator: Any
) -> None:
    assert set(stations_visible_to(operator)) == {alice.station, bob.station}


def test_person_without_membership_sees_no_vehicle(alice: Tenant) -> None:
    stranger = f.UserFactory()
    assert not vehicles_visible_to(stranger).exists()


def test_a_group_restriction_counts_only_in_the_community_the_group_comes_from(
    alice: Tenant,
) -> None:
    """Shared with community A for group G2: a member who is G2 only in
    community B does not see it."""
    g1 = alice.member.memberships.get().group
    g2 = f.UserGroupFactory(organisation=alice.organisation, name="G2")
    other = f.CommunityFactory(organisation=alice.organisation)
    f.MembershipFactory(user=alice.member, community=other, group=g2)
    alice.vehicle.allowed_groups.set([g2])
    assert alice.vehicle not in vehicles_visible_to(alice.member)
    alice.vehicle.communities.add(other)
    assert alice.vehicle in vehicles_visible_to(alice.member)
    assert g1 != g2


def test_a_community_manager_sees_the_fleet_of_their_community_not_the_whole_organisation(
    alice: Tenant,
) -> None:
    manager = f.UserFactory()
    f.MembershipFactory(user=manager, community=alice.community, role="manager")
    elsewhere = f.CommunityFactory(organisation=alice.organisation)
    hidden = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    hidden.communities.add(elsewhere)
    visible = vehicles_visible_to(manager)
    assert alice.vehicle in visible
    assert hidden not in visible
