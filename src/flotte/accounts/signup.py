"""Joining a community: sign-up with e-mail verification, invitations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from flotte.accounts import params
from flotte.accounts.models import Community, Invitation, Membership, User, UserGroup
from flotte.accounts.parameters import param_value
from flotte.accounts.selectors import require_manager_of_community
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.core.tenancy import tenant_scope

VERIFY_SALT = "flotte.signup.verify"
INVITE_SALT = "flotte.invitation"


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            "this is not a valid e-mail address", fields={"email": "invalid address"}
        ) from None
    return email


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        message = " ".join(error.messages)
        raise ValidationFailed(message, fields={"password": message}) from None


def _check_open_to(community: Community, email: str) -> None:
    """The community's own sign-up rules (not for invited people)."""
    org = community.organisation
    if not community.signup_open or param_value(
        params.INVITATION_ONLY.key, organisation=org, community=community
    ):
        raise PermissionDenied(
            "this community is open on invitation only: ask its manager", code="invitation_only"
        )
    domains = param_value(params.EMAIL_DOMAINS.key, organisation=org, community=community)
    domains = [domain.lstrip("@") for domain in domains]
    if domains and email.rsplit("@", 1)[-1] not in domains:
        raise PermissionDenied(
            "this community accepts only addresses ending in "
            + ", ".join(f"@{domain}" for domain in domains),
            code="email_domain_refused",
            fields={"email": "address not accepted by this community"},
        )


def _join(
    user: User,
    community: Community,
    *,
    role: str = Membership.Role.MEMBER,
    group: UserGroup | None = None,
) -> Membership:
    membership, created = Membership.objects.get_or_create(
        user=user,
        community=community,
        defaults={
            "role": role,
            "group": group or community.default_group,
            "joined_at": clock.now(),
        },
    )
    if created:
        audit(
            "membership.created",
            membership,
            actor=user,
            data={"role": membership.role, "group": membership.group_id},
        )
    return membership


def signup_start(
    *, community: Community, email: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Create an account on a community's page; the membership comes when the
    e-mail address is verified through the link that is sent.

    An address that already has an account gets the same answer, so that the
    form does not tell who is registered: an unverified account is sent a new
    verification link, a verified one an e-mail saying to log in and join."""
    email = _clean_email(email)
    candidate = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    _check_password(password, candidate)
    from flotte.accounts.tasks import send_account_exists_email, send_verification_email

    with tenant_scope([community.organisation_id], reason="sign-up"), transaction.atomic():
        _check_open_to(community, email)
        existing = User.objects.filter(email=email, is_active=True).first()
        if existing is not None:
            if existing.email_verified_at is None:
                send_verification_email.enqueue(existing.pk, community.pk)
            else:
                send_account_exists_email.enqueue(existing.pk, community.pk)
            return existing
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email, password, first_name=candidate.first_name, last_name=candidate.last_name
                )
        except IntegrityError:
            raise Conflict("an account already uses this address", code="account_exists") from None
        audit(
            "user.signed_up",
            user,
            actor=user,
            organisation_id=community.organisation_id,
            data={"community": community.slug},
        )
        send_verification_email.enqueue(user.pk, community.pk)
    return user


def verification_token(user: User, community: Community) -> str:
    # The issue time comes from the business clock, not from the signer's own
    # timestamp (the wall clock), so that the validity follows ``clock.now()``.
    issued = int(clock.now().timestamp())
    return signing.dumps({"u": user.pk, "c": community.pk, "t": issued}, salt=VERIFY_SALT)


def signup_verify(token: str) -> Membership:
    """Check the link sent by e-mail; the person then joins the community."""
    try:
        payload: dict[str, Any] = signing.loads(token, salt=VERIFY_SALT)
    except signing.BadSignature:
        raise ValidationFailed("this verification link is not valid", code="bad_token") from None
    with tenant_scope(_org_ids_of_community(payload["c"]), reason="sign-up"):
        community = Community.objects.select_related("organisation").filter(pk=payload["c"]).first()
        user = User.objects.filter(pk=payload["u"], is_active=True).first()
        if community is None or user is None:
            raise ValidationFailed("this verification link is not valid", code="bad_token")
        hours = param_value(
            params.VERIFICATION_VALIDITY.key,
            organisation=community.organisation,
            community=community,
        )
        issued = payload.get("t")
        if not isinstance(issued, int):
            raise ValidationFailed("this verification link is not valid", code="bad_token")
        if clock.now() - dt.datetime.fromtimestamp(issued, dt.UTC) > dt.timedelta(hours=hours):
            raise ValidationFailed(
                "this verification link has expired: sign in to get a new one", code="token_expired"
            )
        with transaction.atomic():
            if user.email_verified_at is None:
                user.email_verified_at = clock.now()
                user.save(update_fields=["email_verified_at"])
                audit(
                    "user.email_verified",
                    user,
                    actor=user,
                    organisation_id=community.organisation_id,
                )
            return _join(user, community)


def _org_ids_of_community(community_id: Any) -> list[int]:
    from flotte.core.tenancy import cross_tenant

    with cross_tenant("find the organisation of a signed link"):
        return list(
            Community.objects.filter(pk=community_id).values_list("organisation_id", flat=True)
        )


def community_join(*, user: User, community: Community) -> Membership:
    """An existing, verified user joins one more community."""
    if user.email_verified_at is None:
        raise PermissionDenied("verify your e-mail address first", code="email_not_verified")
    with tenant_scope([community.organisation_id], reason="join"):
        if Membership.objects.filter(user=user, community=community).exists():
            raise Conflict("you are already a member of this community", code="already_member")
        _check_open_to(community, user.email)
        with transaction.atomic():
            return _join(user, community)


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    community: Community,
    email: str,
    role: str = Membership.Role.MEMBER,
    group: UserGroup | None = None,
) -> Invitation:
    """A manager invites someone; a pending invitation to the same address is renewed."""
    require_manager_of_community(actor, community)
    email = _clean_email(email)
    if role not in Membership.Role.values:
        raise ValidationFailed(f"unknown role {role!r}", fields={"role": "unknown role"})
    if group is not None and group.organisation_id != community.organisation_id:
        raise NotFound("no such group in this organisation")
    if Membership.objects.filter(user__email=email, community=community).exists():
        raise Conflict(f"{email} is already a member of this community", code="already_member")
    days = param_value(
        params.INVITATION_VALIDITY.key, organisation=community.organisation, community=community
    )
    at = clock.now()
    invitation, _ = Invitation.objects.update_or_create(
        community=community,
        email=email,
        accepted_at=None,
        defaults={
            "role": role,
            "group": group,
            "invited_by": actor,
            "created_at": at,
            "expires_at": at + dt.timedelta(days=days),
        },
    )
    audit("invitation.created", invitation, actor=actor, data={"email": email, "role": role})
    from flotte.accounts.tasks import send_invitation_email

    send_invitation_email.enqueue(invitation.pk)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    """Withdraw an invitation not accepted yet (sent to a wrong address...)."""
    require_manager_of_community(actor, invitation.community)
    if invitation.accepted_at is not None:
        raise Conflict("this invitation has already been accepted", code="invitation_used")
    audit("invitation.revoked", invitation, actor=actor, data={"email": invitation.email})
    invitation.delete()


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk}, salt=INVITE_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation behind a link, whoever opens it."""
    try:
        payload = signing.loads(token, salt=INVITE_SALT)
    except signing.BadSignature:
        raise ValidationFailed("this invitation link is not valid", code="bad_token") from None
    from flotte.core.tenancy import cross_tenant

    with cross_tenant("open an invitation link"):
        invitation = (
            Invitation.objects.select_related("community__organisation", "group")
            .filter(pk=payload.get("i"))
            .first()
        )
    if invitation is None:
        raise ValidationFailed("this invitation link is not valid", code="bad_token")
    if invitation.accepted_at is not None:
        raise Conflict("this invitation has already been used", code="invitation_used")
    if invitation.expires_at <= clock.now():
        raise ValidationFailed(
            "this invitation has expired: ask for a new one", code="invitation_expired"
        )
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """A logged-in person accepts an invitation sent to their own address."""
    invitation = invitation_from_token(token)
    if invitation.email != user.email.lower():
        raise PermissionDenied(
            f"this invitation was sent to {invitation.email}: log in with that address",
            code="invitation_other_email",
        )
    return _accept(invitation, user)


def invitation_signup(
    *, token: str, password: str, first_name: str = "", last_name: str = ""
) -> Membership:
    """Someone without an account accepts an invitation: the link proves the address."""
    invitation = invitation_from_token(token)
    if User.objects.filter(email=invitation.email).exists():
        raise Conflict(
            "an account already uses this address: log in to accept", code="account_exists"
        )
    candidate = User(email=invitation.email, first_name=first_name, last_name=last_name)
    _check_password(password, candidate)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                invitation.email,
                password,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                email_verified_at=clock.now(),
            )
            return _accept(invitation, user)
    except IntegrityError:
        raise Conflict(
            "an account already uses this address: log in to accept", code="account_exists"
        ) from None


def _accept(invitation: Invitation, user: User) -> Membership:
    with (
        tenant_scope([invitation.community.organisation_id], reason="accept invitation"),
        transaction.atomic(),
    ):
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise Conflict("this invitation has already been used", code="invitation_used")
        locked.accepted_at = clock.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        if user.email_verified_at is None:
            user.email_verified_at = locked.accepted_at
            user.save(update_fields=["email_verified_at"])
        membership = _join(user, invitation.community, role=locked.role, group=locked.group)
        # Already a member: the invitation still brings its group, and a
        # manager role, which it never takes away.
        changed = []
        if locked.group is not None and membership.group_id != locked.group_id:
            membership.group = locked.group
            changed.append("group")
        if locked.role == Membership.Role.MANAGER and membership.role != locked.role:
            membership.role = locked.role
            changed.append("role")
        if changed:
            membership.save(update_fields=changed)
            audit("membership.changed", membership, actor=user, data={"by": "invitation"})
        audit("invitation.accepted", locked, actor=user)
        return membership
