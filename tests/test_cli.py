from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from flotte.accounts.models import Organisation, User
from flotte.accounts.parameters import registry
from flotte.cli import build_parser, main
from flotte.core.models import AuditEntry
from flotte.demo import MANAGER, MEMBER, OPERATOR, PASSWORD
from flotte.fleet.models import Box, Station, Vehicle
from flotte.fleet.services import box_check_secret
from flotte.telematics.provisioning import box_secret_matches
from tests import factories as f
from tests.conftest import Tenant


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


# Boxes
def _printed_secret(out: str, box_id: str) -> str:
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["box_id"] == box_id
    return lines["secret"]


def test_box_add_prints_the_secret_once_and_keeps_its_broker_hash(
    operator: User, capsys: Any
) -> None:
    assert main(["box", "add", "box-new", "--vendor", "acme"]) == 0
    printed = capsys.readouterr()
    secret = _printed_secret(printed.out, "box-new")
    assert "only this once" in printed.err
    box = Box.objects.get(box_id="box-new")
    assert box.vendor == "acme"
    assert box.organisation is None
    assert box.secret_hash.startswith("$7$")
    assert box_check_secret(box, secret)
    entry = AuditEntry.objects.get(action="box.provisioned")
    assert (entry.actor, entry.source) == (operator, "cli")


def test_box_add_fits_the_box_to_a_vehicle_of_the_organisation(
    alice: Tenant, operator: User, capsys: Any
) -> None:
    other = f.VehicleFactory(organisation=alice.organisation, plate="GA-201-MC")
    args = ["box", "add", "box-new", "--org", "org-alice", "--vehicle", "ga 201 mc"]
    assert main(args) == 0
    box = Box.objects.get(box_id="box-new")
    assert (box.organisation, box.vehicle) == (alice.organisation, other)


def test_box_add_takes_the_organisation_of_the_vehicle(
    alice: Tenant, operator: User, capsys: Any
) -> None:
    assert main(["box", "add", "box-new", "--vehicle", alice.vehicle.plate]) == 0
    box = Box.objects.get(box_id="box-new")
    assert (box.organisation, box.vehicle) == (alice.organisation, alice.vehicle)


def test_box_add_asks_for_the_organisation_when_a_plate_is_in_several(
    alice: Tenant, bob: Tenant, operator: User, capsys: Any
) -> None:
    f.VehicleFactory(organisation=bob.organisation, plate=alice.vehicle.plate)
    assert main(["box", "add", "box-new", "--vehicle", alice.vehicle.plate]) == 1
    assert "give --org" in capsys.readouterr().err
    assert not Box.objects.filter(box_id="box-new").exists()


def test_box_add_refuses_a_vehicle_of_another_organisation(
    alice: Tenant, bob: Tenant, operator: User, capsys: Any
) -> None:
    args = ["box", "add", "box-new", "--org", "org-alice", "--vehicle", bob.vehicle.plate]
    assert main(args) == 1
    assert "no vehicle" in capsys.readouterr().err
    assert not Box.objects.filter(box_id="box-new").exists()


def test_box_add_refuses_an_unknown_organisation(operator: User, capsys: Any) -> None:
    assert main(["box", "add", "box-new", "--org", "nowhere"]) == 1
    assert "no organisation" in capsys.readouterr().err
    assert not Box.objects.filter(box_id="box-new").exists()


def test_box_add_tells_a_duplicate_box_id(alice: Tenant, operator: User, capsys: Any) -> None:
    assert main(["box", "add", alice.box.box_id]) == 1
    printed = capsys.readouterr()
    assert "already exists" in printed.err
    assert "secret" not in printed.out


def test_box_add_needs_an_active_operator_account(alice: Tenant, capsys: Any) -> None:
    f.UserFactory(is_operator=True, is_active=False)
    assert main(["box", "add", "box-new"]) == 1
    assert "no active operator account" in capsys.readouterr().err
    assert not Box.objects.filter(box_id="box-new").exists()


def test_box_rotate_secret_prints_a_new_secret(alice: Tenant, operator: User, capsys: Any) -> None:
    assert main(["box", "rotate-secret", alice.box.box_id]) == 0
    secret = _printed_secret(capsys.readouterr().out, alice.box.box_id)
    alice.box.refresh_from_db()
    assert box_check_secret(alice.box, secret)
    entry = AuditEntry.objects.get(action="box.secret_rotated")
    assert (entry.actor, entry.source) == (operator, "cli")


def test_box_rotate_secret_refuses_an_unknown_box(operator: User, capsys: Any) -> None:
    assert main(["box", "rotate-secret", "box-nowhere"]) == 1
    assert "no box 'box-nowhere'" in capsys.readouterr().err


def test_box_mosquitto_config_writes_private_files_and_prints_the_conf(
    alice: Tenant, operator: User, settings: Any, tmp_path: Path, capsys: Any
) -> None:
    settings.MQTT_URL = "mqtt://flotte:p%40ss%3Aword@broker.internal:1883"
    main(["box", "add", "box-new"])
    capsys.readouterr()
    directory = tmp_path / "mosquitto"
    directory.mkdir()
    passwd, acl = directory / "passwd", directory / "acl"
    acl.write_text("stale\n")
    acl.chmod(0o644)
    assert main(["box", "mosquitto-config", "--passwd", str(passwd), "--acl", str(acl)]) == 0
    printed = capsys.readouterr()
    for path in (passwd, acl):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in directory.iterdir()) == ["acl", "passwd"]  # no temporary left
    entries = dict(line.split(":", 1) for line in passwd.read_text().splitlines())
    assert set(entries) == {"box-new", "flotte"}
    assert box_secret_matches(entries["flotte"], "p@ss:word")
    assert "user flotte" in acl.read_text()
    assert printed.out.splitlines()[1:] == [
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {passwd}",
        f"acl_file {acl}",
    ]
    assert alice.box.box_id in printed.err  # its hash predates the broker's format
    assert "rotate-secret" in printed.err


@pytest.mark.parametrize(
    "url", ["", "mqtt://broker.internal:1883", "mqtt://flotte@broker.internal:1883"]
)
def test_box_mosquitto_config_needs_the_platform_credentials_in_mqtt_url(
    operator: User, settings: Any, tmp_path: Path, capsys: Any, url: str
) -> None:
    settings.MQTT_URL = url
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    assert main(["box", "mosquitto-config", "--passwd", str(passwd), "--acl", str(acl)]) == 1
    assert "MQTT_URL must name the platform's broker user and password" in capsys.readouterr().err
    assert not passwd.exists()
    assert not acl.exists()


def test_box_mosquitto_config_tells_a_path_it_cannot_write(
    operator: User, settings: Any, tmp_path: Path, capsys: Any
) -> None:
    settings.MQTT_URL = "mqtt://flotte:secret@broker.internal:1883"
    missing = tmp_path / "no-such-directory"
    args = ["--passwd", str(missing / "passwd"), "--acl", str(tmp_path / "acl")]
    assert main(["box", "mosquitto-config", *args]) == 1
    assert f"cannot write {missing / 'passwd'}" in capsys.readouterr().err


def test_the_gateway_needs_a_broker_url(settings: Any, capsys: Any) -> None:
    settings.MQTT_URL = ""
    assert main(["gateway"]) == 2
    assert "MQTT_URL" in capsys.readouterr().err


def test_simulate_needs_a_broker(settings: Any, capsys: Any) -> None:
    settings.MQTT_URL = ""
    assert main(["simulate", "--boxes", "1"]) == 2
    assert "--broker" in capsys.readouterr().err


def test_the_demo_logins_name_the_address_served(capsys: Any) -> None:
    from flotte.demo import print_logins

    print_logins("127.0.0.1:8123")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8123/api/v1/docs" in out and ":8000" not in out
