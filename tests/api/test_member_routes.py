from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from flotte.accounts.models import DriverApproval, Membership, Suspension, User
from flotte.core import clock
from flotte.core.models import AuditEntry
from tests import factories as f
from tests.conftest import Api, Tenant


def applicant(tenant: Tenant, community: Any = None, **profile: Any) -> User:
    """A member whose driver profile waits for validation."""
    user = f.UserFactory()
    f.MembershipFactory(
        user=user, community=community or tenant.community, group=tenant.community.default_group
    )
    f.DriverProfileFactory(user=user, **profile)
    f.DriverApprovalFactory(organisation=tenant.organisation, user=user)
    return user


def members_path(tenant: Tenant, rest: str = "") -> str:
    return f"organisations/{tenant.organisation.pk}/members{rest}"


def emails(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {m["email"] for m in response.json()["items"]}


@pytest.fixture
def community_manager(alice: Tenant) -> tuple[User, User]:
    """A manager of Alice's community (not of the organisation), and a member
    of another community of the same organisation."""
    manager = f.UserFactory(email="community-manager@example.org")
    f.MembershipFactory(user=manager, community=alice.community, role=Membership.Role.MANAGER)
    other_community = f.CommunityFactory(organisation=alice.organisation, slug="com-alice-2")
    outsider = applicant(alice, community=other_community)
    return manager, outsider


# Listing
def test_manager_lists_the_members_of_the_organisation(alice: Tenant) -> None:
    response = Api(alice.manager).get(members_path(alice))
    assert emails(response) == {alice.member.email}
    row = response.json()["items"][0]
    assert row["approval_status"] == "validated"
    assert row["communities"] == [alice.community.slug]


def test_submitted_status_lists_the_validation_queue(alice: Tenant) -> None:
    waiting = applicant(alice)
    response = Api(alice.manager).get(members_path(alice, "?status=submitted"))
    assert emails(response) == {waiting.email}


def test_validated_status_leaves_out_the_validation_queue(alice: Tenant) -> None:
    applicant(alice)
    response = Api(alice.manager).get(members_path(alice, "?status=validated"))
    assert emails(response) == {alice.member.email}


def test_manager_of_an_organisation_without_community_gets_an_empty_list(db: None) -> None:
    organisation = f.OrganisationFactory()
    manager = f.UserFactory()
    f.OrganisationManagerFactory(user=manager, organisation=organisation)
    response = Api(manager).get(f"organisations/{organisation.pk}/members")
    assert response.status_code == 200, response.content
    assert response.json() == {"items": [], "count": 0}


def test_plain_member_cannot_list_the_members(alice: Tenant) -> None:
    response = Api(alice.member).get(members_path(alice))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_community_manager_lists_only_the_members_of_their_community(
    alice: Tenant, community_manager: tuple[User, User]
) -> None:
    manager, outsider = community_manager
    listed = emails(Api(manager).get(members_path(alice)))
    assert alice.member.email in listed
    assert outsider.email not in listed


def test_community_manager_cannot_see_a_member_of_another_community(
    alice: Tenant, community_manager: tuple[User, User]
) -> None:
    manager, outsider = community_manager
    response = Api(manager).get(members_path(alice, f"/{outsider.pk}"))
    assert response.status_code == 404


def test_organisation_manager_sees_the_members_of_every_community(
    alice: Tenant, community_manager: tuple[User, User]
) -> None:
    _, outsider = community_manager
    assert outsider.email in emails(Api(alice.manager).get(members_path(alice)))


# Detail
def test_member_detail_shows_the_profile(alice: Tenant) -> None:
    response = Api(alice.manager).get(members_path(alice, f"/{alice.member.pk}"))
    assert response.status_code == 200, response.content
    profile = response.json()["profile"]
    assert profile["licence_number"] == "120575100123"
    assert profile["has_licence_document"] is True
    assert profile["missing"] == []


def test_member_detail_shows_no_refusal_for_a_validated_member(alice: Tenant) -> None:
    body = Api(alice.manager).get(members_path(alice, f"/{alice.member.pk}")).json()
    assert body["refusals"] == {alice.community.slug: []}


def test_member_detail_shows_why_a_waiting_member_may_not_book(alice: Tenant) -> None:
    waiting = applicant(alice)
    body = Api(alice.manager).get(members_path(alice, f"/{waiting.pk}")).json()
    assert body["approval_status"] == "submitted"
    assert body["refusals"] == {alice.community.slug: ["your driver profile is not validated yet"]}


def test_plain_member_cannot_see_a_member_detail(alice: Tenant) -> None:
    response = Api(alice.member).get(members_path(alice, f"/{alice.member.pk}"))
    assert response.status_code == 403


def test_member_detail_of_a_stranger_is_a_404(alice: Tenant, bob: Tenant) -> None:
    response = Api(alice.manager).get(members_path(alice, f"/{bob.member.pk}"))
    assert response.status_code == 404


# Decisions
def test_manager_validates_a_waiting_member(alice: Tenant) -> None:
    waiting = applicant(alice)
    response = Api(alice.manager).post(members_path(alice, f"/{waiting.pk}/validate"))
    assert response.status_code == 200, response.content
    assert response.json()["approval_status"] == "validated"
    approval = DriverApproval.objects.get(user=waiting)
    assert approval.decided_by == alice.manager


def test_validating_a_member_who_breaks_the_age_rule_is_a_400(alice: Tenant) -> None:
    young = applicant(alice, birth_date=dt.date(clock.now().year - 17, 1, 1))
    response = Api(alice.manager).post(members_path(alice, f"/{young.pk}/validate"))
    assert response.status_code == 400
    assert response.json()["code"] == "rules_not_met"


def test_validating_a_member_without_a_submitted_profile_is_a_404(alice: Tenant) -> None:
    newcomer = f.UserFactory()
    f.MembershipFactory(user=newcomer, community=alice.community)
    response = Api(alice.manager).post(members_path(alice, f"/{newcomer.pk}/validate"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_submitted"


def test_community_manager_validates_a_member_of_their_community(
    alice: Tenant, community_manager: tuple[User, User]
) -> None:
    manager, _ = community_manager
    waiting = applicant(alice)
    response = Api(manager).post(members_path(alice, f"/{waiting.pk}/validate"))
    assert response.status_code == 200, response.content
    assert DriverApproval.objects.get(user=waiting).status == "validated"


def test_manager_rejects_a_member_with_a_reason(alice: Tenant) -> None:
    waiting = applicant(alice)
    response = Api(alice.manager).post(
        members_path(alice, f"/{waiting.pk}/reject"), {"reason": "licence unreadable"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["approval_status"] == "rejected"
    assert body["approval_reason"] == "licence unreadable"


def test_rejecting_without_a_reason_is_a_400(alice: Tenant) -> None:
    waiting = applicant(alice)
    response = Api(alice.manager).post(
        members_path(alice, f"/{waiting.pk}/reject"), {"reason": "  "}
    )
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]


def test_manager_suspends_a_member(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        members_path(alice, f"/{alice.member.pk}/suspend"), {"reason": "unpaid invoices"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["reason"] == "unpaid invoices"
    detail = Api(alice.manager).get(members_path(alice, f"/{alice.member.pk}")).json()
    assert [s["reason"] for s in detail["suspensions"]] == ["unpaid invoices"]
    assert "you are suspended: unpaid invoices" in detail["refusals"][alice.community.slug]


def test_suspension_ending_in_the_past_is_a_400(alice: Tenant) -> None:
    past = clock.now() - dt.timedelta(days=1)
    response = Api(alice.manager).post(
        members_path(alice, f"/{alice.member.pk}/suspend"),
        {"reason": "late", "ends_at": past.isoformat()},
    )
    assert response.status_code == 400
    assert not Suspension.objects.exists()


def test_manager_lifts_a_suspension(alice: Tenant) -> None:
    api = Api(alice.manager)
    suspension_id = api.post(
        members_path(alice, f"/{alice.member.pk}/suspend"), {"reason": "late"}
    ).json()["id"]
    response = api.post(f"organisations/{alice.organisation.pk}/suspensions/{suspension_id}/lift")
    assert response.status_code == 200, response.content
    assert response.json()["lifted_at"] is not None
    assert Suspension.objects.get(pk=suspension_id).lifted_by == alice.manager


def test_lifting_a_suspension_twice_is_a_400(alice: Tenant) -> None:
    api = Api(alice.manager)
    suspension_id = api.post(
        members_path(alice, f"/{alice.member.pk}/suspend"), {"reason": "late"}
    ).json()["id"]
    path = f"organisations/{alice.organisation.pk}/suspensions/{suspension_id}/lift"
    api.post(path)
    response = api.post(path)
    assert response.status_code == 400
    assert response.json()["code"] == "already_lifted"


@pytest.mark.parametrize(
    ("action", "body"),
    [("validate", None), ("reject", {"reason": "no"}), ("suspend", {"reason": "no"})],
)
def test_plain_member_cannot_decide_on_a_member(
    alice: Tenant, action: str, body: dict[str, str] | None
) -> None:
    waiting = applicant(alice)
    response = Api(alice.member).post(members_path(alice, f"/{waiting.pk}/{action}"), body)
    assert response.status_code == 403
    assert DriverApproval.objects.get(user=waiting).status == "submitted"
    assert not Suspension.objects.exists()


def test_plain_member_cannot_lift_a_suspension(alice: Tenant) -> None:
    suspension = Suspension.objects.create(
        organisation=alice.organisation, user=alice.member, reason="late", starts_at=clock.now()
    )
    response = Api(alice.member).post(
        f"organisations/{alice.organisation.pk}/suspensions/{suspension.pk}/lift"
    )
    assert response.status_code == 403
    suspension.refresh_from_db()
    assert suspension.lifted_at is None


# Documents
def upload(user: User, kind: str = "licence_document", content: bytes = b"%PDF-1.4 new") -> Any:
    api = Api(user)
    return api.client.post(
        f"/api/v1/me/profile/documents/{kind}",
        {"file": SimpleUploadedFile("permis.pdf", content, content_type="application/pdf")},
    )


def test_member_uploads_their_licence(alice: Tenant) -> None:
    response = upload(alice.member)
    assert response.status_code == 200, response.content
    assert response.json()["has_licence_document"] is True


def test_uploading_a_new_licence_sends_the_profile_back_for_validation(alice: Tenant) -> None:
    upload(alice.member)
    assert DriverApproval.objects.get(user=alice.member).status == "submitted"


def test_uploading_a_text_file_is_a_400(alice: Tenant) -> None:
    response = Api(alice.member).client.post(
        "/api/v1/me/profile/documents/licence_document",
        {"file": SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")},
    )
    assert response.status_code == 400
    assert "licence_document" in response.json()["fields"]


def test_manager_downloads_an_uploaded_document(alice: Tenant) -> None:
    upload(alice.member, content=b"%PDF-1.4 the licence")
    response = Api(alice.manager).get(
        members_path(alice, f"/{alice.member.pk}/documents/licence_document")
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 the licence"
    assert "licence_document.pdf" in response["Content-Disposition"]


def test_manager_viewing_a_document_is_audited(alice: Tenant) -> None:
    upload(alice.member)
    Api(alice.manager).get(members_path(alice, f"/{alice.member.pk}/documents/licence_document"))
    entry = AuditEntry.objects.get(action="driver_profile.document_viewed")
    assert entry.actor == alice.manager
    assert entry.data == {"kind": "licence_document", "member": alice.member.pk}
    assert entry.source == "api"
    # It shows in the organisation's own audit log.
    assert entry.organisation_id == alice.organisation.pk


def test_member_downloading_their_own_document_is_not_audited(alice: Tenant) -> None:
    upload(alice.member)
    response = Api(alice.member).get("me/profile/documents/licence_document")
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="driver_profile.document_viewed").exists()


def test_unknown_document_kind_is_a_404(alice: Tenant) -> None:
    response = Api(alice.manager).get(members_path(alice, f"/{alice.member.pk}/documents/passport"))
    assert response.status_code == 404


def test_plain_member_cannot_download_another_member_document(alice: Tenant) -> None:
    other = applicant(alice)
    response = Api(alice.member).get(members_path(alice, f"/{other.pk}/documents/licence_document"))
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="driver_profile.document_viewed").exists()


def test_the_operator_does_not_see_members_documents(alice: Tenant, operator: User) -> None:
    """The platform's staff run the service; identity documents are the
    organisation's business."""
    upload(alice.member)
    response = Api(operator).get(
        members_path(alice, f"/{alice.member.pk}/documents/licence_document")
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="driver_profile.document_viewed").exists()


def test_a_manager_changes_a_members_group(alice: Tenant) -> None:
    elected = f.UserGroupFactory(organisation=alice.organisation, name="Élus")
    response = Api(alice.manager).patch(
        f"communities/{alice.community.slug}/members/{alice.member.pk}", {"group_id": elected.pk}
    )
    assert response.status_code == 200
    assert response.json()["group_id"] == elected.pk
    response = Api(alice.member).patch(
        f"communities/{alice.community.slug}/members/{alice.member.pk}", {"role": "manager"}
    )
    assert response.status_code == 403


def test_an_accepted_invitation_cannot_be_withdrawn(alice: Tenant) -> None:
    invitation = f.InvitationFactory(
        community=alice.community, accepted_at=alice.member.date_joined
    )
    response = Api(alice.manager).delete(
        f"communities/{alice.community.slug}/invitations/{invitation.pk}"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invitation_used"
