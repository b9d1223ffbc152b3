from __future__ import annotations

from typing import Any

import pytest

from flotte.accounts.models import Community, Organisation
from flotte.core.tenancy import (
    TenantScopeMissing,
    cross_tenant,
    current_scope,
    organisation_id_of,
    tenant_scope,
)
from flotte.fleet.models import Vehicle
from tests import factories as f
from tests.conftest import Tenant


def test_a_query_outside_any_scope_fails_loudly(alice: Tenant) -> None:
    from flotte.core.tenancy import _scope

    token = _scope.set(None)
    try:
        with pytest.raises(TenantScopeMissing, match="Vehicle"):
            list(Vehicle.objects.all())
    finally:
        _scope.reset(token)


def test_a_scope_shows_only_its_organisations_rows(alice: Tenant, bob: Tenant) -> None:
    with tenant_scope([alice.organisation.pk]):
        assert list(Vehicle.objects.all()) == [alice.vehicle]
        assert list(Organisation.objects.all()) == [alice.organisation]
        assert not Community.objects.filter(pk=bob.community.pk).exists()


def test_related_managers_are_scoped_too(alice: Tenant, bob: Tenant) -> None:
    with tenant_scope([bob.organisation.pk]):
        assert list(alice.station.home_vehicles.all()) == []


def test_an_empty_scope_sees_nothing(alice: Tenant) -> None:
    with tenant_scope([]):
        assert Vehicle.objects.count() == 0


def test_cross_tenant_needs_a_reason_and_sees_everything(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(ValueError, match="reason"), cross_tenant(""):
        pass
    with cross_tenant("nightly job") as scope:
        assert Vehicle.objects.count() == 2
        assert scope.reason == "nightly job"


def test_scopes_nest_and_restore(alice: Tenant) -> None:
    outer = current_scope()
    with tenant_scope([alice.organisation.pk]):
        with tenant_scope([]):
            assert current_scope().organisation_ids == frozenset()  # type: ignore[union-attr]
        assert current_scope().organisation_ids == {alice.organisation.pk}  # type: ignore[union-attr]
    assert current_scope() == outer


def test_organisation_of_a_row_follows_its_tenant_path(alice: Tenant) -> None:
    membership = f.MembershipFactory(community=alice.community)
    assert organisation_id_of(membership) == alice.organisation.pk
    assert organisation_id_of(alice.organisation) == alice.organisation.pk
    assert organisation_id_of(alice.vehicle) == alice.organisation.pk


def test_the_middleware_scopes_a_request_to_the_users_organisations(
    alice: Tenant, bob: Tenant, client: Any
) -> None:
    client.force_login(alice.manager)
    response = client.get(f"/api/v1/vehicles/{bob.vehicle.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
