"""User groups in the console: list, create, rename, members in and out,
what a group may book; and the badges of a member's page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from flotte.accounts.models import Membership, User, UserGroup
from flotte.core.models import AuditEntry
from flotte.fleet.models import Badge
from flotte.telematics.publisher import RecordingPublisher
from tests import factories as f
from tests.booking.test_services import book, set_param
from tests.conftest import Tenant


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.cookies["django_language"] = "en"
    client.force_login(alice.manager)
    return client


def agents(tenant: Tenant) -> UserGroup:
    group = tenant.community.default_group
    assert group is not None
    return group


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/manage/{tenant.organisation.pk}/{rest}"


def newcomer(tenant: Tenant) -> Membership:
    """A member of the community in no group."""
    user = f.UserFactory(email=f"newcomer-{tenant.organisation.slug}@example.org")
    membership: Membership = f.MembershipFactory(user=user, community=tenant.community)
    return membership


# Groups


def test_the_groups_page_lists_the_groups_with_their_members(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    page = manager.get(url(alice, "groups/"))
    assert page.status_code == 200
    (row,) = page.context["groups"]
    assert (row, row.members) == (agents(alice), 1)
    assert f'href="{url(alice, f"groups/{agents(alice).pk}/")}"' in page.content.decode()


def test_a_manager_creates_a_group(alice: Tenant, manager: Client) -> None:
    response = manager.post(url(alice, "groups/"), {"name": "Élus", "private_use_allowed": "on"})
    group = UserGroup.objects.get(organisation=alice.organisation, name="Élus")
    assert response.status_code == 302
    assert response["Location"] == url(alice, f"groups/{group.pk}/")
    assert group.private_use_allowed is True
    assert AuditEntry.objects.filter(action="user_group.created").count() == 1


@pytest.mark.parametrize("name", ["", "   "])
def test_a_group_needs_a_name(alice: Tenant, manager: Client, name: str) -> None:
    page = manager.post(url(alice, "groups/"), {"name": name})
    assert page.status_code == 400
    assert "name" in page.context["form"].errors
    assert UserGroup.objects.filter(organisation=alice.organisation).count() == 1


def test_an_empty_post_is_a_form_error(alice: Tenant, manager: Client) -> None:
    page = manager.post(url(alice, "groups/"))
    assert page.status_code == 400
    assert "name" in page.context["form"].errors
    assert UserGroup.objects.filter(organisation=alice.organisation).count() == 1


def test_a_second_group_of_the_same_name_is_refused_on_the_form(
    alice: Tenant, manager: Client
) -> None:
    page = manager.post(url(alice, "groups/"), {"name": "Agents"})
    assert page.status_code == 400
    assert page.context["form"].non_field_errors()
    assert UserGroup.objects.filter(organisation=alice.organisation).count() == 1


def test_a_manager_renames_a_group(alice: Tenant, manager: Client) -> None:
    group = agents(alice)
    response = manager.post(url(alice, f"groups/{group.pk}/"), {"name": "Agents municipaux"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Agents municipaux"
    assert AuditEntry.objects.get(action="user_group.updated").actor == alice.manager


def test_a_rename_onto_another_group_shows_on_the_form_and_changes_nothing(
    alice: Tenant, manager: Client
) -> None:
    f.UserGroupFactory(organisation=alice.organisation, name="Élus")
    group = agents(alice)
    page = manager.post(url(alice, f"groups/{group.pk}/"), {"name": "Élus"})
    assert page.status_code == 400
    assert page.context["rename_form"].non_field_errors()
    assert page.context["group"].name == "Agents"
    group.refresh_from_db()
    assert group.name == "Agents"


def test_the_group_page_shows_its_members_vehicles_and_rules(
    alice: Tenant, manager: Client
) -> None:
    group = agents(alice)
    kept = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    kept.allowed_groups.add(f.UserGroupFactory(organisation=alice.organisation, name="Élus"))
    set_param(alice, "booking_max_duration_hours", 12, group=group)
    page = manager.get(url(alice, f"groups/{group.pk}/"))
    assert page.status_code == 200
    assert [m.user for m in page.context["members"]] == [alice.member]
    assert [row["vehicle"] for row in page.context["vehicles"]] == [alice.vehicle]
    rules = {rule["key"]: rule for rule in page.context["rules"]}
    assert rules["booking_max_duration_hours"]["value"] == "12"
    assert rules["booking_max_duration_hours"]["own"] is True
    assert rules["booking_horizon_days"]["own"] is False
    link = url(alice, "parameters/?q=booking_max_duration_hours#booking_max_duration_hours")
    assert f'href="{link}"' in page.content.decode()


def test_a_manager_puts_a_member_in_the_group_and_takes_them_out(
    alice: Tenant, manager: Client
) -> None:
    group = agents(alice)
    membership = newcomer(alice)
    response = manager.post(
        url(alice, f"groups/{group.pk}/members/"), {"membership": membership.pk}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.group == group
    response = manager.post(url(alice, f"groups/{group.pk}/members/{membership.pk}/remove/"))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.group is None
    assert AuditEntry.objects.filter(action="membership.group_changed").count() == 2


def test_another_organisations_member_cannot_be_put_in_a_group(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    group = agents(alice)
    theirs = newcomer(bob)
    page = manager.post(url(alice, f"groups/{group.pk}/members/"), {"membership": theirs.pk})
    assert page.status_code == 400
    assert "membership" in page.context["member_form"].errors
    theirs.refresh_from_db()
    assert theirs.group is None


def test_taking_out_someone_not_in_the_group_is_a_404(alice: Tenant, manager: Client) -> None:
    membership = newcomer(alice)
    response = manager.post(
        url(alice, f"groups/{agents(alice).pk}/members/{membership.pk}/remove/")
    )
    assert response.status_code == 404


def test_another_organisations_groups_are_not_found(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    client.force_login(bob.manager)
    group = agents(alice)
    assert client.get(url(alice, "groups/")).status_code == 404
    assert client.get(url(alice, f"groups/{group.pk}/")).status_code == 404
    assert client.post(url(alice, f"groups/{group.pk}/"), {"name": "Pirates"}).status_code == 404
    # Nor through Bob's own console.
    assert client.get(url(bob, f"groups/{group.pk}/")).status_code == 404
    assert client.post(url(bob, f"groups/{group.pk}/"), {"name": "Pirates"}).status_code == 404
    membership = Membership.objects.get(user=alice.member)
    removed = client.post(url(bob, f"groups/{agents(bob).pk}/members/{membership.pk}/remove/"))
    assert removed.status_code == 404
    group.refresh_from_db()
    membership.refresh_from_db()
    assert (group.name, membership.group) == ("Agents", group)


def test_a_member_is_refused_the_groups(alice: Tenant, client: Client) -> None:
    client.force_login(alice.member)
    assert client.get(url(alice, "groups/")).status_code == 403
    assert client.post(url(alice, "groups/"), {"name": "Moi"}).status_code == 403
    assert client.get(url(alice, f"groups/{agents(alice).pk}/")).status_code == 403
    assert UserGroup.objects.filter(organisation=alice.organisation).count() == 1


def test_a_community_manager_sees_the_groups_but_cannot_create_one(
    alice: Tenant, client: Client
) -> None:
    """Groups belong to the organisation: its managers create and rename them."""
    user = f.UserFactory(email="community-manager@example.org")
    f.MembershipFactory(user=user, community=alice.community, role="manager")
    client.force_login(user)
    assert client.get(url(alice, "groups/")).status_code == 200
    assert client.post(url(alice, "groups/"), {"name": "Élus"}).status_code == 403
    assert UserGroup.objects.filter(organisation=alice.organisation).count() == 1


# Badges on the member's page


def member_url(tenant: Tenant, rest: str = "") -> str:
    return url(tenant, f"members/{tenant.member.pk}/{rest}")


def test_the_member_page_lists_their_badges(alice: Tenant, manager: Client) -> None:
    page = manager.get(member_url(alice))
    assert list(page.context["badges"]) == [alice.badge]
    assert alice.badge.uid in page.content.decode()


def test_a_manager_assigns_a_badge_and_the_box_gets_it(
    alice: Tenant,
    manager: Client,
    published: RecordingPublisher,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        book(alice, 2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(member_url(alice, "badges/"), {"uid": "04:ff:ee:00:11"})
    assert response.status_code == 302
    badge = Badge.objects.get(uid="04FFEE0011")
    assert (badge.user, badge.organisation, badge.active) == (
        alice.member,
        alice.organisation,
        True,
    )
    assert AuditEntry.objects.filter(action="badge.issued").count() == 1
    topic = f"flotte/v1/boxes/{alice.box.box_id}/access"
    last = [payload for t, payload, _ in published.sent if t == topic][-1]
    assert "04FFEE0011" in {entry["badge_uid"] for entry in last["entries"]}


@pytest.mark.parametrize("uid", ["", "XYZ", "04FF"])
def test_a_bad_badge_uid_shows_on_the_form(alice: Tenant, manager: Client, uid: str) -> None:
    page = manager.post(member_url(alice, "badges/"), {"uid": uid})
    assert page.status_code == 400
    assert "uid" in page.context["badge_form"].errors
    assert Badge.objects.filter(organisation=alice.organisation).count() == 1


def test_a_badge_already_handed_out_is_refused_on_the_form(alice: Tenant, manager: Client) -> None:
    page = manager.post(member_url(alice, "badges/"), {"uid": alice.badge.uid})
    assert page.status_code == 400
    assert page.context["badge_form"].non_field_errors()
    assert Badge.objects.filter(organisation=alice.organisation).count() == 1


def test_a_manager_revokes_a_badge_and_the_box_forgets_it(
    alice: Tenant,
    manager: Client,
    published: RecordingPublisher,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        book(alice, 2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(url(alice, f"badges/{alice.badge.pk}/revoke/"), {"reason": "lost"})
    assert response.status_code == 302
    alice.badge.refresh_from_db()
    assert alice.badge.active is False
    assert AuditEntry.objects.get(action="badge.deactivated").data == {"reason": "lost"}
    topic = f"flotte/v1/boxes/{alice.box.box_id}/access"
    assert [payload for t, payload, _ in published.sent if t == topic][-1]["entries"] == []


def test_revoking_twice_says_why_not(alice: Tenant, manager: Client) -> None:
    manager.post(url(alice, f"badges/{alice.badge.pk}/revoke/"))
    page = manager.post(url(alice, f"badges/{alice.badge.pk}/revoke/"))
    assert page.status_code == 400 and page.context["error"]


def test_another_organisations_badges_are_not_found(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    client.force_login(bob.manager)
    assert client.post(url(bob, f"badges/{alice.badge.pk}/revoke/")).status_code == 404
    assert client.post(url(alice, f"badges/{alice.badge.pk}/revoke/")).status_code == 404
    assert client.post(member_url(alice, "badges/"), {"uid": "04FFEE0011"}).status_code == 404
    assert (
        client.post(url(bob, f"members/{alice.member.pk}/badges/"), {"uid": "04FFEE0011"})
    ).status_code == 404
    alice.badge.refresh_from_db()
    assert alice.badge.active is True
    assert not Badge.objects.filter(uid="04FFEE0011").exists()


def test_a_member_cannot_hand_out_badges(alice: Tenant, client: Client) -> None:
    member: User = alice.member
    client.force_login(member)
    assert client.post(member_url(alice, "badges/"), {"uid": "04FFEE0011"}).status_code == 403
    assert client.post(url(alice, f"badges/{alice.badge.pk}/revoke/")).status_code == 403
    alice.badge.refresh_from_db()
    assert alice.badge.active is True
