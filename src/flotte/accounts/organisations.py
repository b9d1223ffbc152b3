"""Setting up clients: organisations, their communities, groups and managers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from flotte.accounts.models import (
    Community,
    Membership,
    Organisation,
    OrganisationManager,
    User,
    UserGroup,
)
from flotte.accounts.selectors import (
    is_operator,
    require_manager_of_community,
    require_manager_of_organisation,
)
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

ORGANISATION_EDITABLE = {
    "name",
    "legal_name",
    "siren",
    "vat_number",
    "address",
    "time_zone",
    "logo",
    "primary_colour",
    "secondary_colour",
    "domain",
    "support_email",
    "support_phone",
}
COMMUNITY_EDITABLE = {
    "name",
    "kind",
    "description",
    "logo",
    "primary_colour",
    "secondary_colour",
    "signup_open",
    "default_group",
}


def only_editable(fields: dict[str, Any], editable: set[str]) -> None:
    unknown = set(fields) - editable
    if unknown:
        raise ValidationFailed(
            f"these fields cannot be changed here: {', '.join(sorted(unknown))}",
            fields=dict.fromkeys(sorted(unknown), "not editable"),
        )


def full_clean_or_fail(instance: Any, exclude: list[str] | None = None) -> None:
    """Run the model's own validation and turn it into a service error."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        fields = {name: " ".join(messages) for name, messages in error.message_dict.items()}
        message = "; ".join(f"{name}: {text}" for name, text in fields.items())
        raise ValidationFailed(message, fields=fields) from None


def save_unique(instance: Any, what: str) -> None:
    """Insert or update, turning a uniqueness clash into a 409."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise Conflict(f"this {what} already exists", code="duplicate") from None


@transaction.atomic
def organisation_create(*, actor: User, name: str, slug: str, **fields: Any) -> Organisation:
    if not is_operator(actor):
        raise PermissionDenied("only the operator creates organisations")
    organisation = Organisation(name=name, slug=slug, **fields)
    full_clean_or_fail(organisation)
    save_unique(organisation, "organisation")
    audit("organisation.created", organisation, actor=actor, data={"slug": slug})
    return organisation


@transaction.atomic
def organisation_update(*, actor: User, organisation: Organisation, **fields: Any) -> Organisation:
    require_manager_of_organisation(actor, organisation)
    only_editable(fields, ORGANISATION_EDITABLE)
    for name, value in fields.items():
        setattr(organisation, name, value)
    full_clean_or_fail(organisation)
    save_unique(organisation, "organisation")
    audit("organisation.updated", organisation, actor=actor, data={"fields": sorted(fields)})
    return organisation


@transaction.atomic
def manager_appoint(*, actor: User, organisation: Organisation, user: User) -> OrganisationManager:
    """Make someone a manager of the whole organisation: a member of one of
    its communities, or anyone when the operator sets up a new client."""
    require_manager_of_organisation(actor, organisation)
    member = Membership.objects.filter(user=user, community__organisation=organisation).exists()
    if not member and not is_operator(actor):
        raise NotFound("no such member in this organisation")
    role, created = OrganisationManager.objects.get_or_create(
        user=user, organisation=organisation, defaults={"since": clock.now()}
    )
    if created:
        audit("organisation.manager_appointed", role, actor=actor, data={"user": user.email})
    return role


@transaction.atomic
def manager_dismiss(*, actor: User, organisation: Organisation, user: User) -> None:
    """Withdraw a manager's rights; the last manager stays, so that someone
    can always run the organisation."""
    require_manager_of_organisation(actor, organisation)
    role = OrganisationManager.objects.filter(user=user, organisation=organisation).first()
    if role is None:
        raise NotFound("this person is not a manager of the organisation")
    if OrganisationManager.objects.filter(organisation=organisation).count() == 1:
        raise Conflict("the last manager of an organisation cannot be removed", code="last_manager")
    audit("organisation.manager_dismissed", role, actor=actor, data={"user": user.email})
    role.delete()


@transaction.atomic
def community_create(
    *, actor: User, organisation: Organisation, name: str, slug: str, **fields: Any
) -> Community:
    require_manager_of_organisation(actor, organisation)
    group = fields.get("default_group")
    if group is not None and group.organisation_id != organisation.pk:
        raise NotFound("no such group in this organisation")
    community = Community(organisation=organisation, name=name, slug=slug, **fields)
    full_clean_or_fail(community)
    save_unique(community, "community address")
    audit("community.created", community, actor=actor, data={"slug": slug})
    return community


@transaction.atomic
def community_update(*, actor: User, community: Community, **fields: Any) -> Community:
    require_manager_of_community(actor, community)
    only_editable(fields, COMMUNITY_EDITABLE)
    group = fields.get("default_group")
    if group is not None and group.organisation_id != community.organisation_id:
        raise NotFound("no such group in this organisation")
    for name, value in fields.items():
        setattr(community, name, value)
    full_clean_or_fail(community)
    save_unique(community, "community address")
    audit("community.updated", community, actor=actor, data={"fields": sorted(fields)})
    return community


@transaction.atomic
def group_create(
    *, actor: User, organisation: Organisation, name: str, private_use_allowed: bool = False
) -> UserGroup:
    require_manager_of_organisation(actor, organisation)
    group = UserGroup(
        organisation=organisation, name=name.strip(), private_use_allowed=private_use_allowed
    )
    full_clean_or_fail(group)
    save_unique(group, "group")
    audit("user_group.created", group, actor=actor, data={"name": group.name})
    return group


@transaction.atomic
def group_update(
    *,
    actor: User,
    group: UserGroup,
    name: str | None = None,
    private_use_allowed: bool | None = None,
) -> UserGroup:
    """Rename a user group or change whether it may book for private use;
    its members, rules and tariffs stay attached to it."""
    require_manager_of_organisation(actor, group.organisation)
    before = {"name": group.name, "private_use_allowed": group.private_use_allowed}
    if name is not None:
        group.name = name.strip()
    if private_use_allowed is not None:
        group.private_use_allowed = private_use_allowed
    full_clean_or_fail(group)
    save_unique(group, "group")
    after = {"name": group.name, "private_use_allowed": group.private_use_allowed}
    changed = {
        key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]
    }
    if changed:
        audit("user_group.updated", group, actor=actor, data=changed)
    return group


@transaction.atomic
def membership_set_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """Make a member a manager of the community, or back a plain member."""
    require_manager_of_community(actor, membership.community)
    if role not in Membership.Role.values:
        raise ValidationFailed(f"unknown role {role!r}", fields={"role": "unknown role"})
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit("membership.role_changed", membership, actor=actor, data={"from": before, "to": role})
    return membership


@transaction.atomic
def membership_end(*, actor: User, membership: Membership) -> None:
    """A manager removes someone from a community, or the person leaves."""
    if actor.pk != membership.user_id:
        require_manager_of_community(actor, membership.community)
    audit(
        "membership.ended",
        membership,
        actor=actor,
        data={"user": membership.user_id, "community": membership.community.slug},
    )
    membership.delete()
    from flotte.telematics.access import member_access_changed

    # Their bookings no longer open the cars of this community's boxes.
    member_access_changed(membership.user_id, membership.community.organisation_id)


@transaction.atomic
def membership_set_group(
    *, actor: User, membership: Membership, group: UserGroup | None
) -> Membership:
    require_manager_of_community(actor, membership.community)
    if group is not None and group.organisation_id != membership.community.organisation_id:
        raise NotFound("no such group in this organisation")
    membership.group = group
    membership.save(update_fields=["group"])
    audit(
        "membership.group_changed",
        membership,
        actor=actor,
        data={"group": group.pk if group else None},
    )
    return membership
