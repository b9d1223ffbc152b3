"""``param_snapshot``: the values read once per block answer exactly what
the registry answers without it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from flotte.accounts import parameters
from flotte.accounts.models import ParameterValue
from flotte.accounts.parameters import (
    Kind,
    Level,
    ParamContext,
    Parameter,
    param_set,
    param_snapshot,
    param_value,
    param_values,
    param_values_per_vehicle,
)
from flotte.core import clock
from tests import factories as f
from tests.conftest import Tenant


@pytest.fixture
def keys(monkeypatch: Any) -> tuple[str, str, str]:
    """One parameter settable everywhere, one that may not be set per
    vehicle, one per organisation only (a value stored at a level the
    parameter does not allow any more must be ignored, as without the
    snapshot)."""
    declared = {
        "test_everywhere": tuple(Level),
        "test_no_vehicle": (Level.ORGANISATION, Level.COMMUNITY, Level.GROUP),
        "test_org_only": (Level.ORGANISATION,),
    }
    for key, levels in declared.items():
        monkeypatch.setitem(
            parameters._registry,
            key,
            Parameter(key, Kind.INT, 1, levels, fr="Test.", en="Test.", minimum=0, maximum=999),
        )
    return ("test_everywhere", "test_no_vehicle", "test_org_only")


def _fill(alice: Tenant, bob: Tenant, keys: tuple[str, str, str]) -> dict[str, Any]:
    """Values at every level of alice's, some of them for another vehicle,
    group and community, and bob's own."""
    everywhere, no_vehicle, org_only = keys
    org = alice.organisation
    other_vehicle = f.VehicleFactory(organisation=org, home_station=alice.station)
    other_group = f.UserGroupFactory(organisation=org, name="Élus")
    other_community = f.CommunityFactory(organisation=org, slug="com-other")
    group = alice.community.default_group
    for key, value, target in [
        (everywhere, 10, {}),
        (everywhere, 11, {"community": alice.community}),
        (everywhere, 12, {"group": group}),
        (everywhere, 13, {"vehicle": alice.vehicle}),
        (everywhere, 14, {"vehicle": other_vehicle}),
        (everywhere, 15, {"group": other_group}),
        (everywhere, 16, {"community": other_community}),
        (no_vehicle, 20, {"community": alice.community}),
        (org_only, 30, {}),
    ]:
        param_set(actor=None, key=key, value=value, organisation=org, **target)
    param_set(actor=None, key=everywhere, value=40, organisation=bob.organisation)
    # Stored while the parameter allowed more levels: ignored now.
    parameters._registry[no_vehicle] = Parameter(
        no_vehicle, Kind.INT, 1, tuple(Level), fr="Test.", en="Test.", minimum=0, maximum=999
    )
    param_set(actor=None, key=no_vehicle, value=21, organisation=org, vehicle=alice.vehicle)
    parameters._registry[no_vehicle] = Parameter(
        no_vehicle,
        Kind.INT,
        1,
        (Level.ORGANISATION, Level.COMMUNITY, Level.GROUP),
        fr="Test.",
        en="Test.",
        minimum=0,
        maximum=999,
    )
    return {
        "communities": [None, alice.community, other_community],
        "groups": [None, group, other_group],
        "vehicles": [None, alice.vehicle, other_vehicle],
    }


def test_a_snapshot_answers_as_the_registry_does_in_every_context(
    alice: Tenant, bob: Tenant, keys: tuple[str, str, str]
) -> None:
    targets = _fill(alice, bob, keys)
    contexts = list(
        itertools.product(targets["communities"], targets["groups"], targets["vehicles"])
    )
    expected = [
        param_values(
            list(keys),
            organisation=alice.organisation,
            community=community,
            group=group,
            vehicle=vehicle,
        )
        for community, group, vehicle in contexts
    ]
    with param_snapshot():
        got = [
            param_values(
                list(keys),
                organisation=alice.organisation,
                community=community,
                group=group,
                vehicle=vehicle,
            )
            for community, group, vehicle in contexts
        ]
    assert got == expected
    # The contexts do differ: the check above is not comparing defaults.
    assert {values["test_everywhere"] for values in expected} == {10, 11, 12, 13, 14, 15, 16}


@pytest.mark.parametrize("snapshot", [{}, {"all_vehicles": True}])
def test_a_snapshot_answers_per_vehicle_as_the_registry_does(
    alice: Tenant, bob: Tenant, keys: tuple[str, str, str], snapshot: dict[str, Any]
) -> None:
    targets = _fill(alice, bob, keys)
    vehicles = [v for v in targets["vehicles"] if v is not None]
    for community, group in itertools.product(targets["communities"], targets["groups"]):
        context = ParamContext(alice.organisation, community, group)
        expected = param_values_per_vehicle(list(keys), context=context, vehicles=vehicles)
        with param_snapshot(**snapshot):
            assert (
                param_values_per_vehicle(list(keys), context=context, vehicles=vehicles) == expected
            )


def test_a_snapshot_reads_each_organisation_once(
    alice: Tenant, bob: Tenant, keys: tuple[str, str, str], django_assert_num_queries: Any
) -> None:
    _fill(alice, bob, keys)
    group = alice.community.default_group
    with param_snapshot(vehicle_ids=[alice.vehicle.pk]):
        with django_assert_num_queries(1):
            for _ in range(3):
                ParamContext(alice.organisation, alice.community, group).values(*keys)
                ParamContext(alice.organisation, alice.community, group, alice.vehicle).values(
                    *keys
                )
        with django_assert_num_queries(1):
            assert param_value("test_everywhere", organisation=bob.organisation) == 40


def test_setting_a_value_inside_a_snapshot_is_seen_at_once(
    alice: Tenant, keys: tuple[str, str, str]
) -> None:
    org = alice.organisation
    with param_snapshot():
        assert param_value("test_everywhere", organisation=org) == 1
        param_set(actor=None, key="test_everywhere", value=5, organisation=org)
        assert param_value("test_everywhere", organisation=org) == 5
        parameters.param_unset(actor=None, key="test_everywhere", organisation=org)
        assert param_value("test_everywhere", organisation=org) == 1


def test_no_snapshot_outlives_its_block(alice: Tenant, keys: tuple[str, str, str]) -> None:
    org = alice.organisation
    with param_snapshot():
        assert param_value("test_everywhere", organisation=org) == 1
    # Another process (here, a direct write) changes the value: read again.
    ParameterValue.objects.create(
        organisation=org,
        key="test_everywhere",
        level="organisation",
        value=7,
        updated_at=clock.now(),
    )
    assert param_value("test_everywhere", organisation=org) == 7
