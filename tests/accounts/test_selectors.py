from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from flotte.accounts.models import Membership, User
from flotte.accounts.selectors import (
    community_by_slug,
    is_operator,
    managed_community_ids,
    managed_organisations,
    manages_community,
    manages_member,
    manages_organisation,
    member_of_organisation,
    members_of,
    organisation_ids_of,
)
from flotte.core.errors import NotFound
from flotte.core.tenancy import tenant_scope
from tests import factories as f
from tests.conftest import Tenant


def community_manager(tenant: Tenant) -> User:
    lead = f.UserFactory()
    f.MembershipFactory(user=lead, community=tenant.community, role=Membership.Role.MANAGER)
    return lead


def member_elsewhere(tenant: Tenant) -> User:
    """A member of another community of the same organisation."""
    user = f.UserFactory()
    f.MembershipFactory(user=user, community=f.CommunityFactory(organisation=tenant.organisation))
    return user


# Whose organisations


def test_a_members_organisations_are_those_of_their_communities(alice: Tenant, bob: Tenant) -> None:
    assert organisation_ids_of(alice.member) == {alice.organisation.pk}


def test_a_managers_organisations_include_the_ones_they_manage(alice: Tenant) -> None:
    assert organisation_ids_of(alice.manager) == {alice.organisation.pk}


def test_someone_in_two_organisations_belongs_to_both(alice: Tenant, bob: Tenant) -> None:
    f.MembershipFactory(user=alice.member, community=bob.community)
    assert organisation_ids_of(alice.member) == {alice.organisation.pk, bob.organisation.pk}


def test_a_users_organisations_are_found_from_an_empty_scope(alice: Tenant) -> None:
    with tenant_scope([], reason="anonymous"):
        assert organisation_ids_of(alice.member) == {alice.organisation.pk}


def test_a_user_without_membership_belongs_to_no_organisation(alice: Tenant) -> None:
    assert organisation_ids_of(f.UserFactory()) == set()


# Operators and managers


def test_an_operator_is_recognised(operator: User) -> None:
    assert is_operator(operator)


@pytest.mark.parametrize("who", ["member", "anonymous", "inactive operator"])
def test_others_are_not_operators(alice: Tenant, operator: User, who: str) -> None:
    if who == "inactive operator":
        operator.is_active = False
        person: Any = operator
    else:
        person = AnonymousUser() if who == "anonymous" else alice.member
    assert not is_operator(person)


def test_a_manager_manages_their_organisation_only(alice: Tenant, bob: Tenant) -> None:
    assert manages_organisation(alice.manager, alice.organisation.pk)
    assert not manages_organisation(alice.manager, bob.organisation.pk)


def test_a_community_manager_does_not_manage_the_organisation(alice: Tenant) -> None:
    assert not manages_organisation(community_manager(alice), alice.organisation.pk)


def test_the_operator_manages_every_organisation(
    alice: Tenant, bob: Tenant, operator: User
) -> None:
    assert manages_organisation(operator, bob.organisation.pk)
    assert managed_community_ids(operator) >= {alice.community.pk, bob.community.pk}
    assert set(managed_organisations(operator)) == {alice.organisation, bob.organisation}


def test_an_organisation_manager_manages_all_its_communities(alice: Tenant, bob: Tenant) -> None:
    other = f.CommunityFactory(organisation=alice.organisation)
    assert managed_community_ids(alice.manager) == {alice.community.pk, other.pk}


def test_a_community_manager_manages_only_their_community(alice: Tenant) -> None:
    other = f.CommunityFactory(organisation=alice.organisation)
    lead = community_manager(alice)
    assert managed_community_ids(lead) == {alice.community.pk}
    assert manages_community(lead, alice.community)
    assert not manages_community(lead, other)


def test_a_member_manages_nothing(alice: Tenant) -> None:
    assert managed_community_ids(alice.member) == set()
    assert not manages_community(alice.member, alice.community)
    assert list(managed_organisations(alice.member)) == []


def test_a_manager_manages_no_community_of_another_organisation(alice: Tenant, bob: Tenant) -> None:
    assert not manages_community(alice.manager, bob.community)
    assert managed_community_ids(alice.manager, bob.organisation.pk) == set()


def test_managed_organisations_of_a_community_manager(alice: Tenant, bob: Tenant) -> None:
    assert list(managed_organisations(community_manager(alice))) == [alice.organisation]


# Members a manager sees


def test_a_manager_manages_the_members_of_their_organisation(alice: Tenant, bob: Tenant) -> None:
    assert manages_member(alice.manager, alice.organisation.pk, alice.member)
    assert not manages_member(alice.manager, bob.organisation.pk, bob.member)


def test_a_community_manager_manages_only_members_of_their_community(alice: Tenant) -> None:
    lead = community_manager(alice)
    assert manages_member(lead, alice.organisation.pk, alice.member)
    assert not manages_member(lead, alice.organisation.pk, member_elsewhere(alice))


def test_a_manager_lists_the_members_of_their_communities_only(alice: Tenant, bob: Tenant) -> None:
    elsewhere = member_elsewhere(alice)
    assert set(members_of(alice.organisation, alice.manager)) == {alice.member, elsewhere}
    assert set(members_of(alice.organisation, community_manager(alice))) >= {alice.member}
    assert elsewhere not in set(members_of(alice.organisation, community_manager(alice)))


def test_a_manager_lists_no_member_of_another_organisation(alice: Tenant, bob: Tenant) -> None:
    assert list(members_of(bob.organisation, alice.manager)) == []


def test_a_member_appears_once_even_in_several_communities(alice: Tenant) -> None:
    f.MembershipFactory(
        user=alice.member, community=f.CommunityFactory(organisation=alice.organisation)
    )
    assert list(members_of(alice.organisation, alice.manager)) == [alice.member]


def test_a_manager_gets_one_of_their_members(alice: Tenant) -> None:
    found = member_of_organisation(alice.organisation, alice.manager, alice.member.pk)
    assert found == alice.member


def test_a_member_of_another_organisation_is_not_found(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(NotFound):
        member_of_organisation(alice.organisation, alice.manager, bob.member.pk)


def test_a_member_of_another_community_is_not_found_by_a_community_manager(
    alice: Tenant,
) -> None:
    with pytest.raises(NotFound):
        member_of_organisation(
            alice.organisation, community_manager(alice), member_elsewhere(alice).pk
        )


# Public community pages


def test_a_community_page_is_found_by_slug_by_anyone(alice: Tenant) -> None:
    with tenant_scope([], reason="anonymous"):
        community = community_by_slug(alice.community.slug)
    assert community == alice.community
    assert community.branding["organisation"] == alice.organisation.name


def test_an_unknown_community_page_is_not_found(db: Any) -> None:
    with pytest.raises(NotFound):
        community_by_slug("nowhere")


def test_a_community_falls_back_on_its_organisations_colours(alice: Tenant) -> None:
    alice.organisation.primary_colour = "#112233"
    alice.organisation.save()
    alice.community.secondary_colour = "#445566"
    alice.community.save()
    branding = community_by_slug(alice.community.slug).branding
    assert branding["primary_colour"] == "#112233"
    assert branding["secondary_colour"] == "#445566"
