"""Renaming a user group and changing its private use, audited."""

from __future__ import annotations

import pytest

from flotte.accounts.models import UserGroup
from flotte.accounts.organisations import group_create, group_update
from flotte.core.errors import Conflict, PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from tests.conftest import Tenant


def agents(tenant: Tenant) -> UserGroup:
    group = tenant.community.default_group
    assert group is not None
    return group


def test_a_manager_renames_a_group_and_it_is_audited(alice: Tenant) -> None:
    group = group_update(actor=alice.manager, group=agents(alice), name=" Agents techniques ")
    group.refresh_from_db()
    assert group.name == "Agents techniques"
    entry = AuditEntry.objects.get(action="user_group.updated")
    assert entry.actor == alice.manager
    assert entry.data == {"name": {"from": "Agents", "to": "Agents techniques"}}


def test_a_manager_allows_private_use_to_a_group(alice: Tenant) -> None:
    group_update(actor=alice.manager, group=agents(alice), private_use_allowed=True)
    assert UserGroup.objects.get(pk=agents(alice).pk).private_use_allowed is True


def test_a_group_cannot_take_the_name_of_another_group(alice: Tenant) -> None:
    group_create(actor=alice.manager, organisation=alice.organisation, name="Élus")
    with pytest.raises(Conflict):
        group_update(actor=alice.manager, group=agents(alice), name="Élus")
    assert UserGroup.objects.get(pk=agents(alice).pk).name == "Agents"


def test_a_blank_name_is_refused(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed):
        group_update(actor=alice.manager, group=agents(alice), name="   ")
    assert UserGroup.objects.get(pk=agents(alice).pk).name == "Agents"


def test_a_member_or_another_organisation_cannot_rename_a_group(alice: Tenant, bob: Tenant) -> None:
    for actor in (alice.member, bob.manager):
        with pytest.raises(PermissionDenied):
            group_update(actor=actor, group=agents(alice), name="Pirates")
    assert UserGroup.objects.get(pk=agents(alice).pk).name == "Agents"
    assert not AuditEntry.objects.filter(action="user_group.updated").exists()


def test_nothing_changed_leaves_no_audit_entry(alice: Tenant) -> None:
    group_update(actor=alice.manager, group=agents(alice), name="Agents")
    assert not AuditEntry.objects.filter(action="user_group.updated").exists()
