from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from flotte.accounts import params
from flotte.accounts.drivers import (
    DOCUMENT_MAX_BYTES,
    booking_refusals,
    driver_reject,
    driver_validate,
    licence_expiry_sweep,
    member_suspend,
    profile_of,
    profile_submit,
    profile_update,
    suspension_lift,
)
from flotte.accounts.models import (
    Community,
    DriverApproval,
    Membership,
    Suspension,
    User,
    UserGroup,
)
from flotte.accounts.parameters import param_set
from flotte.accounts.tasks import licence_expiry_sweep as licence_expiry_sweep_task
from flotte.core import clock
from flotte.core.errors import PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from tests import factories as f
from tests.conftest import Tenant

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)
REQUIRED = [
    "birth_date",
    "licence_number",
    "licence_issued_on",
    "licence_expires_on",
    "licence_document",
    "identity_document",
]


@pytest.fixture(autouse=True)
def _frozen_clock() -> Any:
    """Ages and licence dates are computed on a known day."""
    with clock.frozen(NOW):
        yield


def applicant(
    tenant: Tenant,
    *,
    community: Community | None = None,
    group: UserGroup | None = None,
    **profile: Any,
) -> DriverApproval:
    """Someone who joined the tenant's community and submitted a profile."""
    community = community or tenant.community
    user = f.UserFactory()
    f.MembershipFactory(user=user, community=community, group=group or community.default_group)
    f.DriverProfileFactory(user=user, **profile)
    return f.DriverApprovalFactory(organisation=tenant.organisation, user=user)


def approval_of(tenant: Tenant, user: User | None = None) -> DriverApproval:
    return DriverApproval.objects.get(organisation=tenant.organisation, user=user or tenant.member)


def pdf(name: str = "permis.pdf", size: int = 100, content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, b"%" * size, content_type=content_type)


def codes(user: User, community: Community) -> list[str]:
    return [refusal.code for refusal in booking_refusals(user, community)]


def set_param(tenant: Tenant, key: str, value: Any, **target: Any) -> None:
    param_set(
        actor=tenant.manager, key=key, value=value, organisation=tenant.organisation, **target
    )


# Editing the profile


def test_profile_update_saves_the_licence(db: Any) -> None:
    user = f.UserFactory()
    profile_update(
        user=user,
        data={
            "birth_date": dt.date(1990, 1, 31),
            "licence_number": "AB123",
            "licence_issued_on": dt.date(2010, 5, 1),
            "licence_expires_on": dt.date(2035, 5, 1),
        },
    )
    profile = profile_of(user)
    profile.refresh_from_db()
    assert (profile.birth_date, profile.licence_number) == (dt.date(1990, 1, 31), "AB123")
    assert profile.licence_expires_on == dt.date(2035, 5, 1)


def test_a_birth_date_in_the_future_is_refused(db: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        profile_update(user=f.UserFactory(), data={"birth_date": TODAY + dt.timedelta(days=1)})
    assert error.value.fields == {"birth_date": "future"}


def test_a_licence_issued_in_the_future_is_refused(db: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        profile_update(
            user=f.UserFactory(), data={"licence_issued_on": TODAY + dt.timedelta(days=1)}
        )
    assert error.value.fields == {"licence_issued_on": "future"}


def test_a_licence_expiring_before_its_issue_is_refused(db: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        profile_update(
            user=f.UserFactory(),
            data={
                "licence_issued_on": dt.date(2020, 6, 1),
                "licence_expires_on": dt.date(2020, 5, 31),
            },
        )
    assert error.value.fields == {"licence_expires_on": "before issue date"}


def test_a_licence_expiring_the_day_it_is_issued_is_refused(db: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        profile_update(
            user=f.UserFactory(),
            data={
                "licence_issued_on": dt.date(2020, 6, 1),
                "licence_expires_on": dt.date(2020, 6, 1),
            },
        )
    assert "licence_expires_on" in error.value.fields


def test_a_licence_issued_before_birth_is_refused(db: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        profile_update(
            user=f.UserFactory(),
            data={"birth_date": dt.date(2000, 1, 1), "licence_issued_on": dt.date(1999, 1, 1)},
        )
    assert error.value.fields == {"licence_issued_on": "before birth"}


def test_a_new_date_is_checked_against_the_stored_ones(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        profile_update(user=alice.member, data={"licence_expires_on": dt.date(2004, 1, 1)})
    assert "licence_expires_on" in error.value.fields


def test_a_refused_update_saves_nothing(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed):
        profile_update(
            user=alice.member,
            data={"licence_number": "CHANGED", "birth_date": TODAY + dt.timedelta(days=3)},
        )
    profile = profile_of(alice.member)
    assert profile.licence_number == "120575100123"
    assert approval_of(alice).status == DriverApproval.Status.VALIDATED


def test_an_unknown_profile_field_is_refused(db: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        profile_update(user=f.UserFactory(), data={"email": "x@example.net"})
    assert "email" in error.value.message


def test_a_document_over_5_mib_is_refused(db: Any) -> None:
    big = pdf(size=DOCUMENT_MAX_BYTES + 1)
    with pytest.raises(ValidationFailed) as error:
        profile_update(user=f.UserFactory(), data={}, files={"licence_document": big})
    assert error.value.fields == {"licence_document": "too large"}


def test_a_document_of_exactly_5_mib_is_accepted(db: Any) -> None:
    user = f.UserFactory()
    profile_update(user=user, data={}, files={"licence_document": pdf(size=DOCUMENT_MAX_BYTES)})
    assert profile_of(user).licence_document.size == DOCUMENT_MAX_BYTES


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("notes.txt", "text/plain"), ("page.html", "text/html"), ("permis.pdf", "")],
)
def test_a_document_of_another_type_is_refused(db: Any, name: str, content_type: str) -> None:
    upload = pdf(name=name, content_type=content_type)
    with pytest.raises(ValidationFailed) as error:
        profile_update(user=f.UserFactory(), data={}, files={"identity_document": upload})
    assert error.value.fields == {"identity_document": "file type refused"}


def test_a_document_is_stored_under_an_unguessable_name(db: Any) -> None:
    user = f.UserFactory()
    profile_update(user=user, data={}, files={"identity_document": pdf("carte-identite.pdf")})
    stored = profile_of(user).identity_document
    assert stored.name.startswith(f"documents/{user.pk}/")
    assert stored.name.endswith(".pdf")
    assert "carte-identite" not in stored.name
    assert stored.read() == b"%" * 100


def test_an_unknown_document_kind_is_refused(db: Any) -> None:
    with pytest.raises(ValidationFailed):
        profile_update(user=f.UserFactory(), data={}, files={"selfie": pdf()})


def test_changing_the_licence_reopens_a_validated_approval(alice: Tenant) -> None:
    profile_update(user=alice.member, data={"licence_expires_on": dt.date(2041, 1, 1)})
    approval = approval_of(alice)
    assert approval.status == DriverApproval.Status.SUBMITTED
    assert approval.submitted_at == NOW
    assert AuditEntry.objects.filter(
        action="driver_approval.reopened", object_id=str(approval.pk)
    ).exists()


def test_uploading_a_new_licence_document_reopens_the_approval(alice: Tenant) -> None:
    profile_update(user=alice.member, data={}, files={"licence_document": pdf()})
    assert approval_of(alice).status == DriverApproval.Status.SUBMITTED


def test_changing_the_birth_date_reopens_the_approval(alice: Tenant) -> None:
    profile_update(user=alice.member, data={"birth_date": dt.date(1985, 5, 18)})
    assert approval_of(alice).status == DriverApproval.Status.SUBMITTED


def test_a_licence_change_reopens_a_rejected_approval(alice: Tenant) -> None:
    DriverApproval.objects.filter(user=alice.member).update(status="rejected", reason="blurry")
    profile_update(user=alice.member, data={"licence_number": "NEW123"})
    assert approval_of(alice).status == DriverApproval.Status.SUBMITTED


def test_a_licence_change_reopens_the_approval_of_every_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    f.MembershipFactory(user=alice.member, community=bob.community)
    f.DriverApprovalFactory(organisation=bob.organisation, user=alice.member, status="validated")
    profile_update(user=alice.member, data={"licence_number": "NEW123"})
    statuses = set(
        DriverApproval.objects.filter(user=alice.member).values_list("status", flat=True)
    )
    assert statuses == {DriverApproval.Status.SUBMITTED}


def test_saving_the_same_licence_keeps_the_approval_validated(alice: Tenant) -> None:
    profile = profile_of(alice.member)
    profile_update(
        user=alice.member,
        data={
            "licence_number": profile.licence_number,
            "licence_expires_on": profile.licence_expires_on,
        },
    )
    assert approval_of(alice).status == DriverApproval.Status.VALIDATED


# Submitting the profile


def test_submitting_an_empty_profile_lists_every_missing_field(alice: Tenant) -> None:
    user = f.UserFactory()
    f.MembershipFactory(user=user, community=alice.community)
    with pytest.raises(ValidationFailed) as error:
        profile_submit(user=user)
    assert error.value.code == "profile_incomplete"
    assert sorted(error.value.fields) == sorted(REQUIRED)
    assert not DriverApproval.objects.filter(user=user).exists()


def test_submitting_without_an_identity_document_is_refused_by_default(alice: Tenant) -> None:
    user = f.UserFactory()
    f.MembershipFactory(user=user, community=alice.community)
    f.DriverProfileFactory(user=user, identity_document="")
    with pytest.raises(ValidationFailed) as error:
        profile_submit(user=user)
    assert error.value.fields == {"identity_document": "required"}


def test_submitting_before_joining_a_community_is_refused(db: Any) -> None:
    user = f.UserFactory()
    f.DriverProfileFactory(user=user)
    with pytest.raises(ValidationFailed) as error:
        profile_submit(user=user)
    assert error.value.code == "no_membership"


def test_submitting_sends_the_profile_to_each_organisation_once(alice: Tenant, bob: Tenant) -> None:
    user = f.UserFactory()
    f.MembershipFactory(user=user, community=alice.community)
    f.MembershipFactory(user=user, community=bob.community)
    f.DriverProfileFactory(user=user)
    approvals = profile_submit(user=user)
    assert {a.organisation for a in approvals} == {alice.organisation, bob.organisation}
    assert {a.status for a in approvals} == {DriverApproval.Status.SUBMITTED}
    profile_submit(user=user)
    assert DriverApproval.objects.filter(user=user).count() == 2


def test_identity_document_not_required_lets_a_profile_be_submitted_and_validated(
    alice: Tenant,
) -> None:
    set_param(alice, params.IDENTITY_REQUIRED.key, False)
    user = f.UserFactory()
    f.MembershipFactory(user=user, community=alice.community)
    f.DriverProfileFactory(user=user, identity_document="")
    [approval] = profile_submit(user=user)
    driver_validate(actor=alice.manager, approval=approval)
    assert approval_of(alice, user).status == DriverApproval.Status.VALIDATED


# Validation by a manager


def test_a_manager_validates_a_complete_profile(alice: Tenant) -> None:
    approval = applicant(alice)
    driver_validate(actor=alice.manager, approval=approval)
    approval.refresh_from_db()
    assert approval.status == DriverApproval.Status.VALIDATED
    assert approval.decided_by == alice.manager
    assert approval.decided_at == NOW
    assert approval.licence_expires_on == dt.date(2040, 6, 1)
    assert booking_refusals(approval.user, alice.community) == []


def test_validation_is_audited_with_actor_and_organisation(alice: Tenant) -> None:
    approval = applicant(alice)
    driver_validate(actor=alice.manager, approval=approval)
    entry = AuditEntry.objects.get(action="driver_approval.validated", object_id=str(approval.pk))
    assert entry.actor == alice.manager
    assert entry.actor_label == alice.manager.email
    assert entry.organisation == alice.organisation


def test_validation_of_an_incomplete_profile_is_refused(alice: Tenant) -> None:
    approval = applicant(alice, licence_document="")
    with pytest.raises(ValidationFailed) as error:
        driver_validate(actor=alice.manager, approval=approval)
    assert error.value.code == "profile_incomplete"
    assert "licence_document" in error.value.message
    assert approval_of(alice, approval.user).status == DriverApproval.Status.SUBMITTED


def test_validation_of_a_driver_under_18_is_refused_by_default(alice: Tenant) -> None:
    approval = applicant(
        alice, birth_date=dt.date(2008, 3, 3), licence_issued_on=dt.date(2024, 1, 1)
    )
    with pytest.raises(ValidationFailed) as error:
        driver_validate(actor=alice.manager, approval=approval)
    assert error.value.code == "rules_not_met"
    assert "at least 18 years old" in error.value.message


def test_a_driver_is_18_on_their_birthday(alice: Tenant) -> None:
    set_param(alice, params.LICENCE_SENIORITY.key, 0)
    approval = applicant(
        alice, birth_date=dt.date(2008, 3, 2), licence_issued_on=dt.date(2026, 3, 1)
    )
    assert driver_validate(actor=alice.manager, approval=approval).status == "validated"


def test_min_age_parameter_refuses_a_driver_below_it(alice: Tenant) -> None:
    set_param(alice, params.MIN_AGE.key, 21)
    approval = applicant(
        alice, birth_date=dt.date(2007, 1, 1), licence_issued_on=dt.date(2023, 6, 1)
    )
    with pytest.raises(ValidationFailed) as error:
        driver_validate(actor=alice.manager, approval=approval)
    assert "at least 21 years old" in error.value.message


def test_min_age_set_for_the_group_wins_over_the_organisation(alice: Tenant) -> None:
    set_param(alice, params.MIN_AGE.key, 21)
    set_param(alice, params.MIN_AGE.key, 18, group=alice.community.default_group)
    approval = applicant(
        alice, birth_date=dt.date(2007, 1, 1), licence_issued_on=dt.date(2023, 6, 1)
    )
    assert driver_validate(actor=alice.manager, approval=approval).status == "validated"


def test_a_stricter_min_age_for_the_group_refuses_a_driver_the_organisation_accepts(
    alice: Tenant,
) -> None:
    young_drivers = f.UserGroupFactory(organisation=alice.organisation, name="Jeunes")
    set_param(alice, params.MIN_AGE.key, 25, group=young_drivers)
    approval = applicant(
        alice,
        group=young_drivers,
        birth_date=dt.date(2004, 1, 1),
        licence_issued_on=dt.date(2022, 6, 1),
    )
    with pytest.raises(ValidationFailed) as error:
        driver_validate(actor=alice.manager, approval=approval)
    assert "at least 25 years old" in error.value.message


def test_a_licence_held_less_than_two_years_is_refused_by_default(alice: Tenant) -> None:
    approval = applicant(alice, licence_issued_on=dt.date(2024, 3, 3))
    with pytest.raises(ValidationFailed) as error:
        driver_validate(actor=alice.manager, approval=approval)
    assert error.value.code == "rules_not_met"
    assert "held for 2 years" in error.value.message


def test_licence_seniority_parameter_raises_the_years_required(alice: Tenant) -> None:
    set_param(alice, params.LICENCE_SENIORITY.key, 5, community=alice.community)
    approval = applicant(alice, licence_issued_on=dt.date(2022, 1, 1))
    with pytest.raises(ValidationFailed) as error:
        driver_validate(actor=alice.manager, approval=approval)
    assert "held for 5 years" in error.value.message


def test_licence_seniority_of_zero_accepts_a_new_licence(alice: Tenant) -> None:
    set_param(alice, params.LICENCE_SENIORITY.key, 0)
    approval = applicant(alice, licence_issued_on=dt.date(2026, 2, 1))
    assert driver_validate(actor=alice.manager, approval=approval).status == "validated"


def test_validation_of_an_expired_licence_is_refused(alice: Tenant) -> None:
    approval = applicant(alice, licence_expires_on=dt.date(2026, 3, 1))
    with pytest.raises(ValidationFailed) as error:
        driver_validate(actor=alice.manager, approval=approval)
    assert "expired" in error.value.message


def test_validation_passes_when_one_of_the_members_communities_accepts_them(
    alice: Tenant,
) -> None:
    strict = f.CommunityFactory(organisation=alice.organisation)
    set_param(alice, params.MIN_AGE.key, 30, community=strict)
    approval = applicant(
        alice,
        community=strict,
        birth_date=dt.date(2000, 1, 1),
        licence_issued_on=dt.date(2020, 1, 1),
    )
    with pytest.raises(ValidationFailed):
        driver_validate(actor=alice.manager, approval=approval)
    f.MembershipFactory(user=approval.user, community=alice.community)
    assert driver_validate(actor=alice.manager, approval=approval).status == "validated"
    assert codes(approval.user, strict) == ["too_young"]
    assert codes(approval.user, alice.community) == []


def test_a_manager_of_another_organisation_cannot_validate(alice: Tenant, bob: Tenant) -> None:
    approval = applicant(alice)
    with pytest.raises(PermissionDenied):
        driver_validate(actor=bob.manager, approval=approval)
    assert approval_of(alice, approval.user).status == DriverApproval.Status.SUBMITTED


def test_a_member_cannot_validate_a_profile(alice: Tenant) -> None:
    approval = applicant(alice)
    with pytest.raises(PermissionDenied):
        driver_validate(actor=alice.member, approval=approval)


def test_a_community_manager_validates_the_members_of_their_community(alice: Tenant) -> None:
    lead = f.UserFactory()
    f.MembershipFactory(user=lead, community=alice.community, role=Membership.Role.MANAGER)
    approval = applicant(alice)
    assert driver_validate(actor=lead, approval=approval).decided_by == lead


def test_a_community_manager_cannot_validate_members_of_another_community(
    alice: Tenant,
) -> None:
    lead = f.UserFactory()
    f.MembershipFactory(user=lead, community=alice.community, role=Membership.Role.MANAGER)
    elsewhere = f.CommunityFactory(organisation=alice.organisation)
    approval = applicant(alice, community=elsewhere)
    with pytest.raises(PermissionDenied):
        driver_validate(actor=lead, approval=approval)


# Rejection


def test_rejecting_needs_a_reason(alice: Tenant) -> None:
    approval = applicant(alice)
    with pytest.raises(ValidationFailed) as error:
        driver_reject(actor=alice.manager, approval=approval, reason="   ")
    assert error.value.fields == {"reason": "required"}
    assert approval_of(alice, approval.user).status == DriverApproval.Status.SUBMITTED


def test_rejecting_records_the_reason_and_blocks_booking(alice: Tenant) -> None:
    approval = applicant(alice)
    driver_reject(actor=alice.manager, approval=approval, reason=" Blurry licence photo ")
    approval.refresh_from_db()
    assert (approval.status, approval.reason) == ("rejected", "Blurry licence photo")
    assert approval.decided_by == alice.manager
    assert codes(approval.user, alice.community) == ["not_validated"]


def test_rejection_is_audited_with_actor_organisation_and_reason(alice: Tenant) -> None:
    approval = applicant(alice)
    driver_reject(actor=alice.manager, approval=approval, reason="Blurry")
    entry = AuditEntry.objects.get(action="driver_approval.rejected", object_id=str(approval.pk))
    assert (entry.actor, entry.organisation) == (alice.manager, alice.organisation)
    assert entry.data == {"reason": "Blurry"}


def test_a_manager_of_another_organisation_cannot_reject(alice: Tenant, bob: Tenant) -> None:
    approval = applicant(alice)
    with pytest.raises(PermissionDenied):
        driver_reject(actor=bob.manager, approval=approval, reason="no")
    assert approval_of(alice, approval.user).status == DriverApproval.Status.SUBMITTED


# May this member book?


def test_a_validated_member_may_book(alice: Tenant) -> None:
    assert booking_refusals(alice.member, alice.community) == []


def test_someone_outside_the_community_may_not_book(alice: Tenant, bob: Tenant) -> None:
    assert codes(bob.member, alice.community) == ["not_member"]


def test_a_member_waiting_for_validation_may_not_book(alice: Tenant) -> None:
    approval = applicant(alice)
    assert codes(approval.user, alice.community) == ["not_validated"]


def test_a_member_who_never_submitted_may_not_book(alice: Tenant) -> None:
    user = f.UserFactory()
    f.MembershipFactory(user=user, community=alice.community)
    assert codes(user, alice.community) == ["not_validated"]


def test_a_validation_in_another_organisation_does_not_count(alice: Tenant, bob: Tenant) -> None:
    f.MembershipFactory(user=bob.member, community=alice.community)
    assert codes(bob.member, alice.community) == ["not_validated"]


def test_a_validated_member_whose_licence_expired_may_not_book(alice: Tenant) -> None:
    profile = profile_of(alice.member)
    profile.licence_expires_on = dt.date(2026, 3, 1)
    profile.save()
    assert codes(alice.member, alice.community) == ["licence_expired"]


def test_a_licence_is_valid_on_its_expiry_day(alice: Tenant) -> None:
    profile = profile_of(alice.member)
    profile.licence_expires_on = TODAY
    profile.save()
    assert codes(alice.member, alice.community) == []


# Suspensions


def test_a_suspended_member_may_not_book(alice: Tenant) -> None:
    member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="Unpaid"
    )
    refusals = booking_refusals(alice.member, alice.community)
    assert [r.code for r in refusals] == ["suspended"]
    assert "Unpaid" in refusals[0].message


def test_a_suspension_with_an_end_date_stops_blocking_after_it(alice: Tenant) -> None:
    ends_at = NOW + dt.timedelta(days=7)
    member_suspend(
        actor=alice.manager,
        organisation=alice.organisation,
        user=alice.member,
        reason="Late return",
        ends_at=ends_at,
    )
    with clock.frozen(ends_at - dt.timedelta(minutes=1)):
        assert codes(alice.member, alice.community) == ["suspended"]
    with clock.frozen(ends_at):
        assert codes(alice.member, alice.community) == []


def test_a_suspension_in_one_organisation_does_not_block_another(
    alice: Tenant, bob: Tenant
) -> None:
    f.MembershipFactory(user=alice.member, community=bob.community)
    f.DriverApprovalFactory(organisation=bob.organisation, user=alice.member, status="validated")
    member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="Unpaid"
    )
    assert codes(alice.member, bob.community) == []


def test_a_suspension_needs_a_reason(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        member_suspend(
            actor=alice.manager, organisation=alice.organisation, user=alice.member, reason=""
        )
    assert error.value.fields == {"reason": "required"}


def test_a_suspension_cannot_end_in_the_past(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        member_suspend(
            actor=alice.manager,
            organisation=alice.organisation,
            user=alice.member,
            reason="Late",
            ends_at=NOW,
        )
    assert error.value.fields == {"ends_at": "in the past"}
    assert not Suspension.objects.exists()


def test_a_manager_of_another_organisation_cannot_suspend(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        member_suspend(
            actor=bob.manager, organisation=alice.organisation, user=alice.member, reason="x"
        )
    assert not Suspension.objects.exists()


def test_a_suspension_is_audited_with_actor_and_organisation(alice: Tenant) -> None:
    suspension = member_suspend(
        actor=alice.manager,
        organisation=alice.organisation,
        user=alice.member,
        reason="Unpaid",
        ends_at=NOW + dt.timedelta(days=1),
    )
    entry = AuditEntry.objects.get(action="member.suspended", object_id=str(suspension.pk))
    assert (entry.actor, entry.organisation) == (alice.manager, alice.organisation)
    assert entry.data == {"reason": "Unpaid", "ends_at": "2026-03-03T09:00:00+00:00"}


def test_lifting_a_suspension_lets_the_member_book_again(alice: Tenant) -> None:
    suspension = member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="Unpaid"
    )
    suspension_lift(actor=alice.manager, suspension=suspension)
    suspension.refresh_from_db()
    assert (suspension.lifted_at, suspension.lifted_by) == (NOW, alice.manager)
    assert codes(alice.member, alice.community) == []
    assert AuditEntry.objects.filter(
        action="member.suspension_lifted", object_id=str(suspension.pk), actor=alice.manager
    ).exists()


def test_a_suspension_cannot_be_lifted_twice(alice: Tenant) -> None:
    suspension = member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="Unpaid"
    )
    suspension_lift(actor=alice.manager, suspension=suspension)
    with pytest.raises(ValidationFailed) as error:
        suspension_lift(actor=alice.manager, suspension=suspension)
    assert error.value.code == "already_lifted"


def test_a_manager_of_another_organisation_cannot_lift_a_suspension(
    alice: Tenant, bob: Tenant
) -> None:
    suspension = member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="Unpaid"
    )
    with pytest.raises(PermissionDenied):
        suspension_lift(actor=bob.manager, suspension=suspension)
    suspension.refresh_from_db()
    assert suspension.lifted_at is None


# Expired licences


def expire_licence(user: User, on: dt.date = dt.date(2026, 2, 28)) -> None:
    profile = profile_of(user)
    profile.licence_expires_on = on
    profile.save()


def test_the_sweep_suspends_a_validated_member_whose_licence_expired(alice: Tenant) -> None:
    expire_licence(alice.member)
    assert licence_expiry_sweep() == 1
    suspension = Suspension.objects.get(user=alice.member)
    assert suspension.organisation == alice.organisation
    assert suspension.kind == Suspension.Kind.LICENCE_EXPIRED
    assert "2026-02-28" in suspension.reason
    assert "suspended" in codes(alice.member, alice.community)


def test_the_sweep_suspends_only_once(alice: Tenant) -> None:
    expire_licence(alice.member)
    licence_expiry_sweep()
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        assert licence_expiry_sweep() == 0
    assert Suspension.objects.filter(user=alice.member).count() == 1


def test_the_sweep_leaves_a_licence_that_expires_today(alice: Tenant) -> None:
    expire_licence(alice.member, TODAY)
    assert licence_expiry_sweep() == 0


def test_the_sweep_leaves_members_not_validated(alice: Tenant) -> None:
    approval = applicant(alice, licence_expires_on=dt.date(2026, 1, 1))
    assert licence_expiry_sweep() == 0
    assert not Suspension.objects.filter(user=approval.user).exists()


def test_the_sweep_does_not_suspend_when_licence_expiry_suspends_is_off(alice: Tenant) -> None:
    set_param(alice, params.LICENCE_EXPIRY_SUSPENDS.key, False)
    expire_licence(alice.member)
    assert licence_expiry_sweep() == 0
    assert not Suspension.objects.exists()
    assert codes(alice.member, alice.community) == ["licence_expired"]


def test_licence_expiry_suspends_is_decided_by_each_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    set_param(alice, params.LICENCE_EXPIRY_SUSPENDS.key, False)
    expire_licence(alice.member)
    expire_licence(bob.member)
    assert licence_expiry_sweep() == 1
    assert list(Suspension.objects.values_list("user", flat=True)) == [bob.member.pk]


def test_the_sweep_is_audited_in_the_members_organisation(alice: Tenant) -> None:
    expire_licence(alice.member)
    licence_expiry_sweep_task.run()
    suspension = Suspension.objects.get(user=alice.member)
    entry = AuditEntry.objects.get(action="member.suspended", object_id=str(suspension.pk))
    assert entry.organisation == alice.organisation
    assert entry.actor is None
    assert entry.source == "task"


def test_validating_a_renewed_licence_lifts_the_expiry_suspension(alice: Tenant) -> None:
    expire_licence(alice.member)
    licence_expiry_sweep()
    profile_update(user=alice.member, data={"licence_expires_on": dt.date(2041, 2, 28)})
    assert set(codes(alice.member, alice.community)) == {"not_validated", "suspended"}

    driver_validate(actor=alice.manager, approval=approval_of(alice))

    suspension = Suspension.objects.get(user=alice.member)
    assert (suspension.lifted_at, suspension.lifted_by) == (NOW, alice.manager)
    assert codes(alice.member, alice.community) == []


def test_validating_a_profile_does_not_lift_a_manual_suspension(alice: Tenant) -> None:
    member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="Unpaid"
    )
    driver_validate(actor=alice.manager, approval=approval_of(alice))
    assert codes(alice.member, alice.community) == ["suspended"]


# Personal data and manager rights


def test_a_replaced_document_is_deleted_from_storage(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    profile = profile_of(alice.member)
    old = profile.licence_document
    storage, old_name = old.storage, old.name
    assert storage.exists(old_name)
    with django_capture_on_commit_callbacks(execute=True):
        profile_update(user=alice.member, data={}, files={"licence_document": pdf("new.pdf")})
    assert not storage.exists(old_name)
    assert storage.exists(profile_of(alice.member).licence_document.name)


def test_a_refused_update_writes_no_document(alice: Tenant) -> None:
    profile = profile_of(alice.member)
    folder = profile.licence_document.storage
    before = sorted(folder.listdir(f"documents/{alice.member.pk}")[1])
    with pytest.raises(ValidationFailed):
        profile_update(
            user=alice.member,
            data={"birth_date": dt.date(2030, 1, 1)},
            files={"licence_document": pdf()},
        )
    assert sorted(folder.listdir(f"documents/{alice.member.pk}")[1]) == before


def test_a_manager_cannot_validate_someone_outside_the_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    """An approval row alone (no membership here) gives no right to decide."""
    stray = f.DriverApprovalFactory(organisation=alice.organisation, user=bob.member)
    with pytest.raises(PermissionDenied):
        driver_validate(actor=alice.manager, approval=stray)
    with pytest.raises(PermissionDenied):
        member_suspend(
            actor=alice.manager, organisation=alice.organisation, user=bob.member, reason="x"
        )


def test_a_suspension_a_manager_lifted_is_not_recreated_by_the_sweep(alice: Tenant) -> None:
    """The licence is still expired, but the manager decided to lift: the
    hourly sweep must not undo that decision."""
    profile = profile_of(alice.member)
    profile.licence_expires_on = TODAY - dt.timedelta(days=3)
    profile.save()
    assert licence_expiry_sweep() == 1
    suspension = Suspension.objects.get(user=alice.member, kind="licence_expired")
    suspension_lift(actor=alice.manager, suspension=suspension)
    with clock.frozen(NOW + dt.timedelta(hours=2)):
        assert licence_expiry_sweep() == 0
    assert codes(alice.member, alice.community) == ["licence_expired"]


def test_a_new_expiry_after_renewal_suspends_again(alice: Tenant) -> None:
    profile = profile_of(alice.member)
    profile.licence_expires_on = TODAY - dt.timedelta(days=3)
    profile.save()
    licence_expiry_sweep()
    profile.licence_expires_on = TODAY + dt.timedelta(days=30)
    profile.save()
    driver_validate(actor=alice.manager, approval=approval_of(alice))
    with clock.frozen(NOW + dt.timedelta(days=40)):
        assert licence_expiry_sweep() == 1


def test_the_sweep_reads_the_parameter_once_per_organisation(
    alice: Tenant, django_assert_max_num_queries: Any
) -> None:
    """Expired licences in an organisation that does not suspend cost one
    query for the candidates and one for the parameter, not one each."""
    set_param(alice, params.LICENCE_EXPIRY_SUSPENDS.key, False)
    for _ in range(20):
        user = f.UserFactory()
        f.MembershipFactory(user=user, community=alice.community)
        f.DriverProfileFactory(user=user, licence_expires_on=TODAY - dt.timedelta(days=1))
        f.DriverApprovalFactory(organisation=alice.organisation, user=user, status="validated")
    with django_assert_max_num_queries(2):
        assert licence_expiry_sweep() == 0
