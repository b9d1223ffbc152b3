from __future__ import annotations

import json
from typing import Any

import pytest

from flotte.accounts.models import Organisation, User
from flotte.accounts.parameters import registry
from flotte.cli import build_parser, main
from flotte.demo import MANAGER, MEMBER, OPERATOR, PASSWORD
from flotte.fleet.models import Station, Vehicle


def test_params_json_lists_every_parameter(capsys: Any) -> None:
    assert main(["params", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [p["key"] for p in printed] == list(registry())
    first = printed[0]
    assert set(first) >= {"key", "type", "default", "levels", "description"}
    assert set(first["description"]) == {"fr", "en"}


def test_params_markdown_names_each_parameter(capsys: Any) -> None:
    main(["params", "--markdown"])
    out = capsys.readouterr().out
    for key in registry():
        assert f"## `{key}`" in out


def test_unknown_command_is_refused() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fly"])


def test_demo_data_matches_the_brief_and_loads_once(db: Any, capsys: Any) -> None:
    assert main(["seed-demo"]) == 0
    out = capsys.readouterr().out
    for login in (OPERATOR, MANAGER, MEMBER, PASSWORD):
        assert login in out
    org = Organisation.objects.get(slug="montclaret")
    assert org.communities.count() == 2
    assert Station.objects.filter(organisation=org).count() == 3
    vehicles = Vehicle.objects.filter(organisation=org)
    assert vehicles.count() == 10
    assert {v.energy for v in vehicles} >= {"electric", "petrol", "diesel"}
    members = User.objects.filter(
        memberships__community__organisation=org, memberships__role="member"
    )
    assert members.distinct().count() == 30
    assert User.objects.get(email=OPERATOR).check_password(PASSWORD)
    from flotte.pricing.models import Tariff

    assert Tariff.objects.filter(organisation=org).count() == 2
    main(["seed-demo"])
    assert Vehicle.objects.count() == 10
