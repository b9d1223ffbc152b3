from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from flotte.accounts import parameters, params
from flotte.accounts.models import ParameterValue
from flotte.accounts.parameters import (
    Kind,
    Level,
    Parameter,
    declare,
    param_set,
    param_unset,
    param_value,
    registry,
    render_markdown,
)
from flotte.core.errors import NotFound, PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from tests import factories as f
from tests.conftest import Tenant

DOCS = Path(__file__).parents[2] / "docs/parameters.md"
MIN_AGE = params.MIN_AGE.key


def value_of(tenant: Tenant, key: str = MIN_AGE, **target: Any) -> Any:
    return param_value(key, organisation=tenant.organisation, **target)


def set_value(tenant: Tenant, value: Any, key: str = MIN_AGE, **target: Any) -> Any:
    return param_set(
        actor=tenant.manager, key=key, value=value, organisation=tenant.organisation, **target
    )


def unset(tenant: Tenant, key: str = MIN_AGE, **target: Any) -> None:
    param_unset(actor=tenant.manager, key=key, organisation=tenant.organisation, **target)


@pytest.fixture
def everywhere(monkeypatch: Any) -> str:
    """A parameter that may be set at every level (none of accounts' may be
    set per vehicle); removed from the registry after the test."""
    key = "test_everywhere"
    parameter = Parameter(
        key, Kind.INT, 1, tuple(Level), fr="Test.", en="Test.", minimum=0, maximum=100
    )
    monkeypatch.setitem(parameters._registry, key, parameter)
    return key


# Setting a value


def test_an_unset_parameter_has_its_default(alice: Tenant) -> None:
    assert value_of(alice) == 18
    assert value_of(alice, params.EMAIL_DOMAINS.key) == []


def test_a_value_set_for_the_organisation_is_read_back(alice: Tenant) -> None:
    assert set_value(alice, 21) == 21
    assert value_of(alice) == 21
    row = ParameterValue.objects.get(key=MIN_AGE)
    assert (row.level, row.value, row.updated_by) == ("organisation", 21, alice.manager)


def test_a_number_written_as_text_is_stored_as_a_number(alice: Tenant) -> None:
    set_value(alice, "21")
    assert ParameterValue.objects.get(key=MIN_AGE).value == 21


def test_setting_a_value_again_replaces_it(alice: Tenant) -> None:
    set_value(alice, 21)
    set_value(alice, 25)
    assert value_of(alice) == 25
    assert ParameterValue.objects.filter(key=MIN_AGE).count() == 1


def test_a_text_list_is_trimmed_lowered_and_emptied_of_blanks(alice: Tenant) -> None:
    set_value(alice, [" Ville.FR ", "", "  "], key=params.EMAIL_DOMAINS.key)
    assert value_of(alice, params.EMAIL_DOMAINS.key) == ["ville.fr"]


def test_setting_a_value_is_audited(alice: Tenant) -> None:
    set_value(alice, 21, community=alice.community)
    entry = AuditEntry.objects.get(action="parameter.set")
    assert (entry.actor, entry.organisation) == (alice.manager, alice.organisation)
    assert entry.data == {"key": MIN_AGE, "value": 21, "level": "community"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (MIN_AGE, "twenty"),
        (MIN_AGE, True),
        (MIN_AGE, 18.5),
        (MIN_AGE, None),
        (params.INVITATION_ONLY.key, "yes"),
        (params.INVITATION_ONLY.key, 1),
        (params.EMAIL_DOMAINS.key, "ville.fr"),
        (params.EMAIL_DOMAINS.key, ["ville.fr", 3]),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(alice: Tenant, key: str, value: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        set_value(alice, value, key=key)
    assert error.value.code == "invalid_parameter"
    assert key in error.value.message
    assert "value" in error.value.fields
    assert not ParameterValue.objects.exists()


@pytest.mark.parametrize(("value", "why"), [(15, "at least 16"), (100, "at most 99")])
def test_a_value_out_of_range_is_refused(alice: Tenant, value: int, why: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        set_value(alice, value)
    assert why in error.value.message
    assert not ParameterValue.objects.exists()


def test_a_level_the_parameter_does_not_allow_is_refused(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        set_value(alice, False, key=params.IDENTITY_REQUIRED.key, community=alice.community)
    assert error.value.code == "invalid_level"
    assert "cannot be set per community" in error.value.message
    assert "it can be set per organisation" in error.value.message
    assert not ParameterValue.objects.exists()


def test_no_accounts_parameter_can_be_set_per_vehicle(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed, match="cannot be set per vehicle"):
        set_value(alice, 21, vehicle=alice.vehicle)


def test_a_value_is_set_at_one_level_at_a_time(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        set_value(alice, 21, community=alice.community, group=alice.community.default_group)
    assert error.value.code == "invalid_level"


def test_a_community_of_another_organisation_is_refused(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(NotFound):
        set_value(alice, 30, community=bob.community)
    assert not ParameterValue.objects.exists()


def test_a_group_of_another_organisation_is_refused(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(NotFound):
        set_value(alice, 30, group=bob.community.default_group)


def test_a_vehicle_of_another_organisation_is_refused(
    alice: Tenant, bob: Tenant, everywhere: str
) -> None:
    with pytest.raises(NotFound):
        set_value(alice, 3, key=everywhere, vehicle=bob.vehicle)


def test_an_unknown_parameter_is_refused(alice: Tenant) -> None:
    with pytest.raises(NotFound) as error:
        set_value(alice, 1, key="no_such_parameter")
    assert error.value.code == "unknown_parameter"


def test_a_value_of_one_organisation_does_not_apply_to_another(alice: Tenant, bob: Tenant) -> None:
    set_value(bob, 30)
    set_value(bob, 40, community=bob.community)
    assert value_of(alice, community=alice.community) == 18


def test_a_value_for_one_community_does_not_apply_to_another(alice: Tenant) -> None:
    other = f.CommunityFactory(organisation=alice.organisation)
    set_value(alice, 30, community=other)
    assert value_of(alice, community=alice.community) == 18
    assert value_of(alice, community=other) == 30


# Which value applies


def test_the_most_specific_level_wins(alice: Tenant, everywhere: str) -> None:
    group = alice.community.default_group
    context = {"community": alice.community, "group": group, "vehicle": alice.vehicle}
    assert value_of(alice, everywhere, **context) == 1
    set_value(alice, 2, key=everywhere)
    assert value_of(alice, everywhere, **context) == 2
    set_value(alice, 3, key=everywhere, community=alice.community)
    assert value_of(alice, everywhere, **context) == 3
    set_value(alice, 4, key=everywhere, group=group)
    assert value_of(alice, everywhere, **context) == 4
    set_value(alice, 5, key=everywhere, vehicle=alice.vehicle)
    assert value_of(alice, everywhere, **context) == 5


def test_a_less_specific_value_set_later_does_not_override(alice: Tenant, everywhere: str) -> None:
    set_value(alice, 5, key=everywhere, vehicle=alice.vehicle)
    set_value(alice, 4, key=everywhere, group=alice.community.default_group)
    set_value(alice, 3, key=everywhere, community=alice.community)
    set_value(alice, 2, key=everywhere)
    context = {"community": alice.community, "group": alice.community.default_group}
    assert value_of(alice, everywhere, vehicle=alice.vehicle, **context) == 5
    assert value_of(alice, everywhere, **context) == 4
    assert value_of(alice, everywhere, community=alice.community) == 3
    assert value_of(alice, everywhere) == 2


def test_unsetting_a_value_falls_back_to_the_level_above(alice: Tenant) -> None:
    group = alice.community.default_group
    set_value(alice, 21)
    set_value(alice, 25, community=alice.community)
    set_value(alice, 30, group=group)
    unset(alice, group=group)
    assert value_of(alice, community=alice.community, group=group) == 25
    unset(alice, community=alice.community)
    assert value_of(alice, community=alice.community, group=group) == 21
    unset(alice)
    assert value_of(alice, community=alice.community, group=group) == 18


def test_unsetting_one_level_keeps_the_others(alice: Tenant) -> None:
    set_value(alice, 21)
    set_value(alice, 25, community=alice.community)
    unset(alice)
    assert value_of(alice, community=alice.community) == 25
    assert value_of(alice) == 18


def test_unsetting_is_audited(alice: Tenant) -> None:
    set_value(alice, 21)
    unset(alice)
    entry = AuditEntry.objects.get(action="parameter.unset")
    assert (entry.actor, entry.organisation) == (alice.manager, alice.organisation)


def test_unsetting_another_organisations_community_is_refused(alice: Tenant, bob: Tenant) -> None:
    set_value(bob, 40, community=bob.community)
    with pytest.raises(NotFound):
        unset(alice, community=bob.community)
    assert value_of(bob, community=bob.community) == 40


# The registry


def test_a_parameter_cannot_be_declared_twice() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        declare(MIN_AGE, Kind.INT, 18, levels=(Level.ORGANISATION,), fr="x", en="x")


def test_a_parameter_with_a_bad_default_cannot_be_declared() -> None:
    with pytest.raises(ValidationFailed):
        declare(
            "test_bad_default",
            Kind.INT,
            5,
            levels=(Level.ORGANISATION,),
            fr="x",
            en="x",
            minimum=10,
        )
    assert "test_bad_default" not in registry()


def test_every_parameter_is_described_in_french_and_english() -> None:
    for parameter in registry().values():
        assert parameter.fr.strip() and parameter.en.strip(), parameter.key
        assert parameter.fr != parameter.en, parameter.key


def test_the_parameters_documentation_is_up_to_date() -> None:
    assert DOCS.exists(), "run: flotte params --markdown > docs/parameters.md"
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/parameters.md is stale: run flotte params --markdown > docs/parameters.md"
    )


def test_every_accounts_parameter_has_a_behaviour_test() -> None:
    """Each parameter of accounts is used by a test of the behaviour it changes
    (in the tests of signup or drivers, not only here)."""
    sources = "".join(
        path.read_text(encoding="utf-8")
        for path in Path(__file__).parent.glob("test_*.py")
        if path.name != Path(__file__).name
    )
    names = [name for name, value in vars(params).items() if isinstance(value, Parameter)]
    assert len(names) == 8
    untested = [name for name in names if f"params.{name}.key" not in sources]
    assert untested == []


def int_parameters() -> list[Parameter]:
    return [p for p in registry().values() if p.kind is Kind.INT]


@hypothesis_settings(
    database=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_an_int_parameter_accepts_any_value_within_its_bounds(alice: Tenant, data: Any) -> None:
    parameter = data.draw(st.sampled_from(int_parameters()), label="parameter")
    assert parameter.minimum is not None and parameter.maximum is not None
    value = data.draw(st.integers(int(parameter.minimum), int(parameter.maximum)), label="value")
    assert set_value(alice, value, key=parameter.key) == value
    assert value_of(alice, parameter.key) == value


@hypothesis_settings(
    database=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_an_int_parameter_refuses_any_value_outside_its_bounds(alice: Tenant, data: Any) -> None:
    parameter = data.draw(st.sampled_from(int_parameters()), label="parameter")
    assert parameter.minimum is not None and parameter.maximum is not None
    value = data.draw(
        st.integers(max_value=int(parameter.minimum) - 1)
        | st.integers(min_value=int(parameter.maximum) + 1),
        label="value",
    )
    with pytest.raises(ValidationFailed):
        set_value(alice, value, key=parameter.key)
    assert value_of(alice, parameter.key) == parameter.default


def test_only_a_manager_of_the_organisation_sets_its_parameters(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        param_set(
            actor=bob.manager, key="member_min_age_years", value=21, organisation=alice.organisation
        )
    with pytest.raises(PermissionDenied):
        param_set(
            actor=alice.member,
            key="member_min_age_years",
            value=21,
            organisation=alice.organisation,
        )
    with pytest.raises(PermissionDenied):
        param_unset(actor=alice.member, key="member_min_age_years", organisation=alice.organisation)
