"""Driver profiles, their validation by each organisation, suspensions, and
the question every booking asks: may this member drive here now?"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q

from flotte.accounts import params
from flotte.accounts.models import (
    Community,
    DriverApproval,
    DriverProfile,
    Membership,
    Organisation,
    Suspension,
    User,
)
from flotte.accounts.parameters import ParamContext, param_value
from flotte.accounts.selectors import manages_member
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import PermissionDenied, ValidationFailed

LICENCE_FIELDS = ("licence_number", "licence_issued_on", "licence_expires_on", "licence_document")
DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/webp", "image/heic"}
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024


def profile_of(user: User) -> DriverProfile:
    """The person's profile, created empty on first use."""
    profile, _ = DriverProfile.objects.get_or_create(user=user)
    return profile


def profile_or_blank(user: User) -> DriverProfile:
    """The person's profile for reading: an unsaved blank one if none exists."""
    return DriverProfile.objects.filter(user=user).first() or DriverProfile(user=user)


def _check_document(name: str, upload: UploadedFile) -> None:
    if upload.size is None or upload.size > DOCUMENT_MAX_BYTES:
        raise ValidationFailed(
            f"{name}: a document may weigh 5 MiB at most", fields={name: "too large"}
        )
    if upload.content_type not in DOCUMENT_TYPES:
        raise ValidationFailed(
            f"{name}: send a PDF, JPEG, PNG, WebP or HEIC file", fields={name: "file type refused"}
        )


@transaction.atomic
def profile_update(
    *, user: User, data: dict[str, Any], files: dict[str, UploadedFile] | None = None
) -> DriverProfile:
    """The driver edits their own profile. Changing the licence sends the
    profile back to each organisation for a new validation."""
    profile = profile_of(user)
    allowed = set(DriverProfile.DATA_FIELDS)
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed(f"unknown fields: {', '.join(sorted(unknown))}")
    changed = set()
    for name, value in data.items():
        if getattr(profile, name) != value:
            setattr(profile, name, value)
            changed.add(name)
    files = files or {}
    for name, upload in files.items():
        if name not in DriverProfile.DOCUMENT_FIELDS:
            raise ValidationFailed(f"unknown document {name!r}")
        _check_document(name, upload)
    today = clock.now().date()
    if profile.birth_date and profile.birth_date >= today:
        raise ValidationFailed(
            "the birth date must be in the past", fields={"birth_date": "future"}
        )
    if profile.licence_issued_on and profile.licence_issued_on > today:
        raise ValidationFailed(
            "the licence cannot be issued in the future", fields={"licence_issued_on": "future"}
        )
    if (
        profile.licence_issued_on
        and profile.licence_expires_on
        and profile.licence_expires_on <= profile.licence_issued_on
    ):
        raise ValidationFailed(
            "the licence must expire after it was issued",
            fields={"licence_expires_on": "before issue date"},
        )
    if (
        profile.birth_date
        and profile.licence_issued_on
        and profile.licence_issued_on <= profile.birth_date
    ):
        raise ValidationFailed(
            "the licence cannot predate the birth date",
            fields={"licence_issued_on": "before birth"},
        )
    # Documents are written only once the profile is known to be valid, and
    # the replaced ones are deleted: they are personal data.
    replaced = []
    for name, upload in files.items():
        field = getattr(profile, name)
        if field:
            replaced.append((field.storage, field.name))
        field.save(upload.name or name, upload, save=False)
        changed.add(name)
    profile.save()
    for storage, old_name in replaced:
        transaction.on_commit(functools.partial(storage.delete, old_name))
    if changed:
        audit("driver_profile.updated", profile, actor=user, data={"fields": sorted(changed)})
    if changed & set(LICENCE_FIELDS) | changed & {"birth_date", "identity_document"}:
        reopened = DriverApproval.objects.filter(user=user).exclude(
            status=DriverApproval.Status.SUBMITTED
        )
        for approval in reopened:
            approval.status = DriverApproval.Status.SUBMITTED
            approval.submitted_at = clock.now()
            approval.save(update_fields=["status", "submitted_at"])
            audit("driver_approval.reopened", approval, actor=user)
    return profile


def missing_for(profile: DriverProfile, organisation: Organisation) -> list[str]:
    missing = profile.missing_fields()
    if not param_value(params.IDENTITY_REQUIRED.key, organisation=organisation):
        missing = [name for name in missing if name != "identity_document"]
    return missing


@transaction.atomic
def profile_submit(*, user: User) -> list[DriverApproval]:
    """Send the completed profile to every organisation the driver belongs to."""
    profile = profile_of(user)
    organisations = Organisation.objects.filter(communities__memberships__user=user).distinct()
    if not organisations:
        raise ValidationFailed(
            "join a community before submitting your profile", code="no_membership"
        )
    approvals = []
    for organisation in organisations:
        missing = missing_for(profile, organisation)
        if missing:
            raise ValidationFailed(
                "the profile is incomplete: " + ", ".join(missing),
                code="profile_incomplete",
                fields=dict.fromkeys(missing, "required"),
            )
        approval, created = DriverApproval.objects.get_or_create(
            organisation=organisation,
            user=user,
            defaults={"submitted_at": clock.now()},
        )
        if created:
            audit("driver_approval.submitted", approval, actor=user)
        approvals.append(approval)
    return approvals


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def driving_rule_refusals(
    profile: DriverProfile, membership: Membership, day: dt.date
) -> list[Refusal]:
    """Age and licence rules of a community (and the member's group)."""
    community = membership.community
    refusals = []
    if profile.licence_expires_on is not None and profile.licence_expires_on < day:
        refusals.append(Refusal("licence_expired", "the driving licence has expired"))
    rules = ParamContext(community.organisation, community, membership.group).values(
        params.MIN_AGE.key, params.LICENCE_SENIORITY.key
    )
    min_age = rules[params.MIN_AGE.key]
    age = profile.age_on(day)
    if age is None or age < min_age:
        refusals.append(Refusal("too_young", f"drivers must be at least {min_age} years old"))
    seniority = rules[params.LICENCE_SENIORITY.key]
    years = profile.licence_years_on(day)
    if years is None or years < seniority:
        refusals.append(
            Refusal("licence_too_recent", f"the licence must have been held for {seniority} years")
        )
    return refusals


def _decidable(actor: User, approval: DriverApproval) -> None:
    if not manages_member(actor, approval.organisation_id, approval.user):
        raise PermissionDenied("only a manager of this member's community may decide")


@transaction.atomic
def driver_validate(*, actor: User, approval: DriverApproval) -> DriverApproval:
    """A manager validates a driver profile after checking the documents.
    Refused when the profile is incomplete or fails the rules of every one of
    the member's communities; lifts a suspension for an expired licence."""
    _decidable(actor, approval)
    profile = profile_of(approval.user)
    organisation = approval.organisation
    missing = missing_for(profile, organisation)
    if missing:
        raise ValidationFailed(
            "the profile is incomplete: " + ", ".join(missing), code="profile_incomplete"
        )
    memberships = Membership.objects.filter(
        user=approval.user, community__organisation=organisation
    ).select_related("community__organisation", "group")
    day = clock.today_in(organisation.time_zone)
    refusals = [driving_rule_refusals(profile, m, day) for m in memberships]
    if not memberships:
        raise ValidationFailed(
            "this person is not a member of any community of this organisation",
            code="not_member",
        )
    if all(refusals):
        reasons = sorted({r.message for group in refusals for r in group})
        raise ValidationFailed(
            "the profile does not meet the rules: " + "; ".join(reasons), code="rules_not_met"
        )
    approval.status = DriverApproval.Status.VALIDATED
    approval.reason = ""
    approval.decided_at = clock.now()
    approval.decided_by = actor
    approval.licence_expires_on = profile.licence_expires_on
    approval.save()
    audit("driver_approval.validated", approval, actor=actor)
    for suspension in Suspension.objects.filter(
        organisation=organisation,
        user=approval.user,
        kind=Suspension.Kind.LICENCE_EXPIRED,
        lifted_at=None,
    ):
        _lift(suspension, actor, "licence renewed and validated")
    return approval


@transaction.atomic
def driver_reject(*, actor: User, approval: DriverApproval, reason: str) -> DriverApproval:
    _decidable(actor, approval)
    if not reason.strip():
        raise ValidationFailed("say why the profile is rejected", fields={"reason": "required"})
    approval.status = DriverApproval.Status.REJECTED
    approval.reason = reason.strip()
    approval.decided_at = clock.now()
    approval.decided_by = actor
    approval.save()
    audit("driver_approval.rejected", approval, actor=actor, data={"reason": approval.reason})
    return approval


@transaction.atomic
def member_suspend(
    *,
    actor: User,
    organisation: Organisation,
    user: User,
    reason: str,
    ends_at: dt.datetime | None = None,
) -> Suspension:
    if not manages_member(actor, organisation.pk, user):
        raise PermissionDenied("only a manager of this member's community may suspend them")
    if not reason.strip():
        raise ValidationFailed("say why the member is suspended", fields={"reason": "required"})
    starts_at = clock.now()
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationFailed(
            "the suspension must end in the future", fields={"ends_at": "in the past"}
        )
    suspension = Suspension.objects.create(
        organisation=organisation,
        user=user,
        reason=reason.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
    )
    audit(
        "member.suspended",
        suspension,
        actor=actor,
        data={"reason": suspension.reason, "ends_at": ends_at.isoformat() if ends_at else None},
    )
    _access_changed(user.pk, organisation.pk)
    return suspension


def _access_changed(user_id: int, organisation_id: int) -> None:
    """The member's standing changed: the boxes of their booked vehicles get
    a new access list after commit."""
    from flotte.telematics.access import member_access_changed

    member_access_changed(user_id, organisation_id)


def _lift(suspension: Suspension, actor: User | None, why: str) -> None:
    suspension.lifted_at = clock.now()
    suspension.lifted_by = actor
    suspension.save(update_fields=["lifted_at", "lifted_by"])
    audit("member.suspension_lifted", suspension, actor=actor, data={"why": why})
    _access_changed(suspension.user_id, suspension.organisation_id)


@transaction.atomic
def suspension_lift(*, actor: User, suspension: Suspension) -> Suspension:
    if not manages_member(actor, suspension.organisation_id, suspension.user):
        raise PermissionDenied("only a manager of this member's community may lift this")
    if suspension.lifted_at is not None:
        raise ValidationFailed("this suspension was already lifted", code="already_lifted")
    _lift(suspension, actor, "lifted by a manager")
    return suspension


def suspensions_in_force(user: User, organisation_id: int) -> list[Suspension]:
    at = clock.now()
    return [
        s
        for s in Suspension.objects.filter(
            user=user, organisation_id=organisation_id, lifted_at=None
        )
        if s.in_force_at(at)
    ]


def booking_refusals(user: User, community: Community) -> list[Refusal]:
    """Why this person may not book in this community now (empty: they may)."""
    membership = (
        Membership.objects.filter(user=user, community=community)
        .select_related("community__organisation", "group", "user")
        .first()
    )
    if membership is None:
        return [Refusal("not_member", "you are not a member of this community")]
    return membership_refusals(membership)


def membership_refusals(membership: Membership) -> list[Refusal]:
    """``booking_refusals`` for a membership already at hand."""
    user, community = membership.user, membership.community
    refusals = []
    approval = DriverApproval.objects.filter(
        user=user, organisation_id=community.organisation_id
    ).first()
    if approval is None or approval.status != DriverApproval.Status.VALIDATED:
        refusals.append(Refusal("not_validated", "your driver profile is not validated yet"))
    for suspension in suspensions_in_force(user, community.organisation_id):
        refusals.append(Refusal("suspended", f"you are suspended: {suspension.reason}"))
    if approval is not None and approval.status == DriverApproval.Status.VALIDATED:
        day = clock.today_in(community.organisation.time_zone)
        refusals += driving_rule_refusals(profile_of(user), membership, day)
    return refusals


def licence_expiry_sweep() -> int:
    """Suspend validated members whose licence has expired, where the
    organisation asks for it. Returns how many suspensions were created."""
    created = 0
    # Only licences that may have expired somewhere: no time zone is more
    # than a day ahead of UTC. The exact date is checked per organisation.
    latest_expiry = clock.now().date() + dt.timedelta(days=1)
    approvals = DriverApproval.objects.filter(
        status=DriverApproval.Status.VALIDATED,
        user__driver_profile__licence_expires_on__lt=latest_expiry,
    ).select_related("organisation", "user__driver_profile")
    suspends: dict[int, bool] = {}  # the parameter, read once per organisation
    for approval in approvals:
        organisation = approval.organisation
        expires = getattr(approval.user, "driver_profile", None)
        expires_on = expires.licence_expires_on if expires else None
        if expires_on is None or expires_on >= clock.today_in(organisation.time_zone):
            continue
        if organisation.pk not in suspends:
            suspends[organisation.pk] = param_value(
                params.LICENCE_EXPIRY_SUSPENDS.key, organisation=organisation
            )
        if not suspends[organisation.pk]:
            continue
        with transaction.atomic():
            # One suspension per expiry: one still in force, or one a manager
            # lifted since this licence expired (their decision stands).
            expired_at = dt.datetime.combine(
                expires_on, dt.time(), tzinfo=zoneinfo.ZoneInfo(organisation.time_zone)
            )
            already = (
                Suspension.objects.filter(
                    organisation=organisation,
                    user=approval.user,
                    kind=Suspension.Kind.LICENCE_EXPIRED,
                )
                .filter(Q(lifted_at=None) | Q(starts_at__gte=expired_at))
                .exists()
            )
            if already:
                continue
            suspension = Suspension.objects.create(
                organisation=organisation,
                user=approval.user,
                kind=Suspension.Kind.LICENCE_EXPIRED,
                reason=f"driving licence expired on {expires_on.isoformat()}",
                starts_at=clock.now(),
            )
            audit("member.suspended", suspension, data={"reason": suspension.reason})
            created += 1
    return created


def unpaid_suspend(*, organisation: Organisation, user: User, reason: str) -> Suspension | None:
    """Suspend a member whose invoice could not be collected (billing
    decides when); one such suspension at a time. Runs inside the caller's
    transaction."""
    if Suspension.objects.filter(
        organisation=organisation, user=user, kind=Suspension.Kind.UNPAID, lifted_at=None
    ).exists():
        return None
    suspension = Suspension.objects.create(
        organisation=organisation,
        user=user,
        kind=Suspension.Kind.UNPAID,
        reason=reason,
        starts_at=clock.now(),
    )
    audit("member.suspended", suspension, data={"reason": reason})
    _access_changed(user.pk, organisation.pk)
    return suspension


def unpaid_suspensions_lift(*, organisation_id: int, user_id: int, why: str) -> int:
    """Lift the unpaid-invoice suspensions of a member who has paid."""
    lifted = 0
    for suspension in Suspension.objects.filter(
        organisation_id=organisation_id,
        user_id=user_id,
        kind=Suspension.Kind.UNPAID,
        lifted_at=None,
    ):
        _lift(suspension, None, why)
        lifted += 1
    return lifted
