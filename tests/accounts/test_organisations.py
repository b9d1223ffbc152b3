from __future__ import annotations

from typing import Any

import pytest

from flotte.accounts.models import (
    Community,
    Membership,
    Organisation,
    OrganisationManager,
    User,
    UserGroup,
)
from flotte.accounts.organisations import (
    community_create,
    community_update,
    group_create,
    manager_appoint,
    manager_dismiss,
    membership_end,
    membership_set_group,
    membership_set_role,
    organisation_create,
    organisation_update,
)
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from tests import factories as f
from tests.conftest import Tenant


def new_community(tenant: Tenant, actor: User | None = None, **fields: Any) -> Community:
    fields = {"name": "Habitants", "slug": "habitants", **fields}
    return community_create(
        actor=actor or tenant.manager, organisation=tenant.organisation, **fields
    )


def community_manager(tenant: Tenant) -> User:
    lead = f.UserFactory()
    f.MembershipFactory(user=lead, community=tenant.community, role=Membership.Role.MANAGER)
    return lead


# Organisations


def test_the_operator_creates_an_organisation(operator: User) -> None:
    organisation = organisation_create(
        actor=operator, name="Ville de Crest", slug="crest", siren="212600963"
    )
    assert Organisation.objects.get(slug="crest") == organisation
    entry = AuditEntry.objects.get(action="organisation.created")
    assert (entry.actor, entry.organisation) == (operator, organisation)


def test_a_manager_cannot_create_an_organisation(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        organisation_create(actor=alice.manager, name="Crest", slug="crest")
    assert not Organisation.objects.filter(slug="crest").exists()


def test_a_deactivated_operator_cannot_create_an_organisation(operator: User) -> None:
    operator.is_active = False
    operator.save()
    with pytest.raises(PermissionDenied):
        organisation_create(actor=operator, name="Crest", slug="crest")


def test_an_organisation_slug_is_unique(operator: User, alice: Tenant) -> None:
    with pytest.raises(Conflict):
        organisation_create(actor=operator, name="Autre", slug=alice.organisation.slug)
    assert Organisation.objects.filter(slug=alice.organisation.slug).count() == 1


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "-crest"}, "slug"),
        ({"siren": "12345"}, "siren"),
        ({"primary_colour": "blue"}, "primary_colour"),
        ({"name": ""}, "name"),
    ],
)
def test_an_organisation_with_bad_fields_is_refused(
    operator: User, fields: dict[str, str], bad: str
) -> None:
    arguments = {"name": "Crest", "slug": "crest", **fields}
    with pytest.raises(ValidationFailed) as error:
        organisation_create(actor=operator, **arguments)
    assert bad in error.value.fields
    assert not Organisation.objects.exists()


def test_a_manager_updates_their_organisation(alice: Tenant) -> None:
    organisation_update(
        actor=alice.manager, organisation=alice.organisation, support_phone="04 75 00 00 00"
    )
    alice.organisation.refresh_from_db()
    assert alice.organisation.support_phone == "04 75 00 00 00"


def test_a_manager_cannot_update_another_organisation(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        organisation_update(actor=bob.manager, organisation=alice.organisation, name="Pwned")
    alice.organisation.refresh_from_db()
    assert alice.organisation.name == "Commune alice"


def test_a_community_manager_cannot_update_the_organisation(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        organisation_update(
            actor=community_manager(alice), organisation=alice.organisation, name="Renamed"
        )


def test_a_manager_appoints_another_manager_once(alice: Tenant) -> None:
    user = f.UserFactory()
    f.MembershipFactory(user=user, community=alice.community)
    first = manager_appoint(actor=alice.manager, organisation=alice.organisation, user=user)
    again = manager_appoint(actor=alice.manager, organisation=alice.organisation, user=user)
    assert first.pk == again.pk
    assert AuditEntry.objects.filter(action="organisation.manager_appointed").count() == 1


def test_a_manager_appoints_only_members_but_the_operator_anyone(
    alice: Tenant, operator: User
) -> None:
    stranger = f.UserFactory()
    with pytest.raises(NotFound):
        manager_appoint(actor=alice.manager, organisation=alice.organisation, user=stranger)
    role = manager_appoint(actor=operator, organisation=alice.organisation, user=stranger)
    assert role.user == stranger


def test_the_last_manager_cannot_be_dismissed(alice: Tenant) -> None:
    with pytest.raises(Conflict, match="last manager"):
        manager_dismiss(actor=alice.manager, organisation=alice.organisation, user=alice.manager)
    manager_appoint(actor=alice.manager, organisation=alice.organisation, user=alice.member)
    manager_dismiss(actor=alice.manager, organisation=alice.organisation, user=alice.manager)
    assert not OrganisationManager.objects.filter(user=alice.manager).exists()
    assert AuditEntry.objects.filter(action="organisation.manager_dismissed").count() == 1


def test_a_member_leaves_a_community_and_a_manager_removes_one(alice: Tenant) -> None:
    other = f.UserFactory()
    membership = f.MembershipFactory(user=other, community=alice.community)
    with pytest.raises(PermissionDenied):
        membership_end(actor=alice.member, membership=membership)
    membership_end(actor=alice.manager, membership=membership)
    own = Membership.objects.get(user=alice.member, community=alice.community)
    membership_end(actor=alice.member, membership=own)
    assert (
        not Membership.objects.filter(community=alice.community)
        .exclude(user=alice.manager)
        .exists()
    )
    assert AuditEntry.objects.filter(action="membership.ended").count() == 2


def test_a_community_manager_is_appointed_by_role(alice: Tenant) -> None:
    membership = Membership.objects.get(user=alice.member, community=alice.community)
    membership_set_role(actor=alice.manager, membership=membership, role="manager")
    from flotte.accounts.selectors import manages_community

    assert manages_community(alice.member, alice.community)
    with pytest.raises(ValidationFailed):
        membership_set_role(actor=alice.manager, membership=membership, role="king")


def test_a_manager_cannot_appoint_in_another_organisation(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        manager_appoint(actor=bob.manager, organisation=alice.organisation, user=bob.manager)
    assert not OrganisationManager.objects.filter(
        user=bob.manager, organisation=alice.organisation
    ).exists()


# Communities


def test_a_manager_creates_a_community(alice: Tenant) -> None:
    community = new_community(alice, kind="public", primary_colour="#AA0000")
    assert community.organisation == alice.organisation
    assert community.branding["primary_colour"] == "#AA0000"
    entry = AuditEntry.objects.get(action="community.created")
    assert (entry.actor, entry.organisation) == (alice.manager, alice.organisation)


def test_the_operator_creates_a_community_in_any_organisation(
    alice: Tenant, operator: User
) -> None:
    assert new_community(alice, actor=operator).organisation == alice.organisation


def test_a_manager_cannot_create_a_community_in_another_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(PermissionDenied):
        new_community(alice, actor=bob.manager)
    assert not Community.objects.filter(slug="habitants").exists()


def test_a_community_manager_cannot_create_communities(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        new_community(alice, actor=community_manager(alice))


def test_a_community_slug_is_unique_across_organisations(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(Conflict) as error:
        new_community(alice, slug=bob.community.slug)
    assert error.value.code == "duplicate"
    assert Community.objects.filter(slug=bob.community.slug).count() == 1


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "#GGGGGG", "1d4ed8"])
def test_a_community_with_a_bad_colour_is_refused(alice: Tenant, colour: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        new_community(alice, primary_colour=colour)
    assert set(error.value.fields) == {"primary_colour"}
    assert not Community.objects.filter(slug="habitants").exists()


def test_a_community_with_a_bad_slug_is_refused(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        new_community(alice, slug="Les Habitants")
    assert "slug" in error.value.fields


def test_a_community_cannot_default_to_another_organisations_group(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(NotFound):
        new_community(alice, default_group=bob.community.default_group)


def test_a_community_defaults_to_a_group_of_its_organisation(alice: Tenant) -> None:
    group = alice.community.default_group
    assert new_community(alice, default_group=group).default_group == group


def test_a_community_manager_updates_their_community(alice: Tenant) -> None:
    community_update(
        actor=community_manager(alice), community=alice.community, description="Nouveau"
    )
    alice.community.refresh_from_db()
    assert alice.community.description == "Nouveau"


def test_a_manager_cannot_update_another_organisations_community(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(PermissionDenied):
        community_update(actor=bob.manager, community=alice.community, signup_open=False)
    alice.community.refresh_from_db()
    assert alice.community.signup_open is True


def test_a_community_update_refuses_another_organisations_group(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(NotFound):
        community_update(
            actor=alice.manager,
            community=alice.community,
            default_group=bob.community.default_group,
        )


def test_a_community_update_refuses_a_bad_colour(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        community_update(actor=alice.manager, community=alice.community, secondary_colour="x")
    assert set(error.value.fields) == {"secondary_colour"}


# Groups


def test_a_manager_creates_a_group(alice: Tenant) -> None:
    group = group_create(
        actor=alice.manager,
        organisation=alice.organisation,
        name=" Élus ",
        private_use_allowed=True,
    )
    assert (group.name, group.private_use_allowed) == ("Élus", True)
    assert group.organisation == alice.organisation


def test_a_group_name_is_unique_in_an_organisation(alice: Tenant) -> None:
    with pytest.raises(Conflict):
        group_create(actor=alice.manager, organisation=alice.organisation, name=" Agents ")
    assert UserGroup.objects.filter(organisation=alice.organisation, name="Agents").count() == 1


def test_two_organisations_may_have_groups_of_the_same_name(alice: Tenant, bob: Tenant) -> None:
    group = group_create(actor=alice.manager, organisation=alice.organisation, name="Élus")
    other = group_create(actor=bob.manager, organisation=bob.organisation, name="Élus")
    assert group.pk != other.pk


def test_a_group_needs_a_name(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        group_create(actor=alice.manager, organisation=alice.organisation, name="  ")
    assert "name" in error.value.fields


def test_a_manager_cannot_create_a_group_in_another_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(PermissionDenied):
        group_create(actor=bob.manager, organisation=alice.organisation, name="Intrus")
    assert not UserGroup.objects.filter(name="Intrus").exists()


def test_a_member_is_moved_to_another_group(alice: Tenant) -> None:
    group = f.UserGroupFactory(organisation=alice.organisation, name="Élus")
    membership = Membership.objects.get(user=alice.member)
    membership_set_group(actor=alice.manager, membership=membership, group=group)
    membership.refresh_from_db()
    assert membership.group == group


def test_a_member_cannot_be_moved_to_another_organisations_group(
    alice: Tenant, bob: Tenant
) -> None:
    membership = Membership.objects.get(user=alice.member)
    with pytest.raises(NotFound):
        membership_set_group(
            actor=alice.manager, membership=membership, group=bob.community.default_group
        )
    membership.refresh_from_db()
    assert membership.group == alice.community.default_group


def test_a_manager_cannot_move_another_organisations_member(alice: Tenant, bob: Tenant) -> None:
    membership = Membership.objects.get(user=alice.member)
    with pytest.raises(PermissionDenied):
        membership_set_group(actor=bob.manager, membership=membership, group=None)


def test_only_the_editable_fields_of_an_organisation_can_be_changed(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        organisation_update(actor=alice.manager, organisation=alice.organisation, slug="other")
    assert error.value.fields == {"slug": "not editable"}
    alice.organisation.refresh_from_db()
    assert alice.organisation.slug == "org-alice"


def test_a_community_cannot_be_moved_to_another_organisation(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(ValidationFailed):
        community_update(
            actor=alice.manager, community=alice.community, organisation=bob.organisation
        )
    alice.community.refresh_from_db()
    assert alice.community.organisation == alice.organisation
