"""The operator's export of one organisation: a zip of CSV files with the
period's statistics and rows, members as codes, nothing of another
organisation; and the `flotte export-org` command that makes it."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from flotte.cli import main
from flotte.core import clock
from flotte.core.errors import PermissionDenied
from flotte.notify.models import SurveyResponse
from flotte.stats.exports import TABLES
from flotte.stats.org_export import (
    export_zip,
    organisation_export,
    organisation_export_now,
    pseudonym,
)
from flotte.stats.snapshots import period_key, snapshot_compute
from flotte.telematics.models import Trip
from tests import factories as f
from tests.conftest import Tenant
from tests.stats.conftest import END, START, T0, make_booking, make_invoice

NOW = dt.datetime(2026, 4, 10, 12, 0, tzinfo=dt.UTC)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 4, 1))


@pytest.fixture(autouse=True)
def _clock_and_cache() -> Any:
    cache.clear()
    with clock.frozen(NOW):
        yield
    cache.clear()


def rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = archive.read(name).decode("utf-8-sig")
    return [line.split(";") for line in text.splitlines()]


def table(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    header, *body = rows(archive, name)
    return [dict(zip(header, row, strict=True)) for row in body]


def history(alice: Tenant, bob: Tenant) -> dict[str, Any]:
    """March: two bookings of Alice's (one driven with its trip, invoiced
    and rated), one in April; Bob's booking and invoice in March."""
    driven = make_booking(alice, km=42)
    cancelled = make_booking(alice, start=T0 + dt.timedelta(days=3), state="cancelled")
    make_booking(alice, start=END + dt.timedelta(days=2))
    Trip.objects.create(
        booking=driven,
        organisation=alice.organisation,
        vehicle=alice.vehicle,
        started_at=T0,
        ended_at=T0 + dt.timedelta(hours=2),
        start_odometer_km=1000,
        end_odometer_km=1042,
        start_latitude=43.1234,
        start_longitude=1.9876,
    )
    invoice = make_invoice(alice, "12.50", booking=driven, buyer_snapshot={"name": "Ann Member"})
    SurveyResponse.objects.create(
        organisation=alice.organisation,
        booking=driven,
        user=alice.member,
        vehicle=alice.vehicle,
        station=alice.station,
        rating=5,
        cleanliness=4,
        comment="Très propre, merci Paul",
        answered_at=T0 + dt.timedelta(hours=3),
    )
    bob_booking = make_booking(bob, km=300)
    make_invoice(bob, "99.00", booking=bob_booking)
    return {"driven": driven, "cancelled": cancelled, "invoice": invoice}


def export(tenant: Tenant) -> zipfile.ZipFile:
    key = period_key(*MARCH)
    statistics = snapshot_compute(tenant.organisation.pk, key).data
    content = export_zip(
        actor=tenant.manager,
        organisation=tenant.organisation,
        start=MARCH[0],
        end=MARCH[1],
        statistics=statistics,
    )
    return zipfile.ZipFile(io.BytesIO(content))


def test_the_zip_holds_every_statistics_table_and_the_periods_rows(
    alice: Tenant, bob: Tenant
) -> None:
    history(alice, bob)
    archive = export(alice)
    names = set(archive.namelist())
    assert {f"statistics/{t}.csv" for t in TABLES} <= names
    assert {
        "statistics/satisfaction_vehicles.csv",
        "statistics/satisfaction_stations.csv",
        "bookings.csv",
        "trips.csv",
        "invoices.csv",
        "members.csv",
        "vehicles.csv",
        "stations.csv",
    } <= names
    totals = table(archive, "statistics/totals.csv")
    assert totals[0]["bookings"] == "1" and totals[0]["km"] == "42"


def test_bookings_are_the_periods_and_name_members_by_their_code(
    alice: Tenant, bob: Tenant
) -> None:
    made = history(alice, bob)
    bookings = table(export(alice), "bookings.csv")
    assert [b["booking_id"] for b in bookings] == [
        str(made["driven"].pk),
        str(made["cancelled"].pk),
    ]
    code = pseudonym(alice.organisation.pk, alice.member.pk)
    assert {b["member"] for b in bookings} == {code}
    assert bookings[0]["start"] == "2026-03-02 09:00"  # Paris time
    assert bookings[0]["vehicle"] == alice.vehicle.plate
    assert bookings[0]["actual_km"] == "42"
    assert "purpose" not in bookings[0]


def test_trips_invoices_and_members_are_alices_without_identities(
    alice: Tenant, bob: Tenant
) -> None:
    made = history(alice, bob)
    archive = export(alice)
    trips = table(archive, "trips.csv")
    assert [(t["booking_id"], t["end_odometer_km"]) for t in trips] == [
        (str(made["driven"].pk), "1042,00")
    ]
    assert not any("latitude" in name for name in trips[0])
    invoices = table(archive, "invoices.csv")
    assert [(i["number"], i["total_excl_vat"]) for i in invoices] == [
        (made["invoice"].number, "12,50")
    ]
    members = table(archive, "members.csv")
    assert [(m["member"], m["bookings"], m["trips"]) for m in members] == [
        (pseudonym(alice.organisation.pk, alice.member.pk), "1", "1")
    ]
    assert [v["plate"] for v in table(archive, "vehicles.csv")] == [alice.vehicle.plate]
    assert [s["name"] for s in table(archive, "stations.csv")] == [alice.station.name]
    satisfaction = table(archive, "statistics/satisfaction_vehicles.csv")
    assert [(s["vehicle"], s["answers"], s["rating"]) for s in satisfaction] == [
        (alice.vehicle.plate, "1", "5,00")
    ]
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
    for secret in (
        alice.member.email,
        alice.member.last_name,
        "Ann Member",
        "merci Paul",
        "43,12",
        "43.12",
        "1,98",
        bob.vehicle.plate,
        bob.station.name,
        bob.organisation.name,
    ):
        assert secret not in everything, secret


def test_a_members_code_is_stable_and_differs_between_organisations(alice: Tenant) -> None:
    code = pseudonym(alice.organisation.pk, alice.member.pk)
    assert code == pseudonym(alice.organisation.pk, alice.member.pk)
    assert code.startswith("M-") and len(code) == 14
    assert code != pseudonym(alice.organisation.pk + 1, alice.member.pk)
    assert pseudonym(alice.organisation.pk, None) == ""


def test_only_the_organisations_managers_export(alice: Tenant, bob: Tenant) -> None:
    history(alice, bob)
    statistics = snapshot_compute(alice.organisation.pk, period_key(*MARCH)).data
    for actor in (alice.member, bob.manager):
        with pytest.raises(PermissionDenied):
            export_zip(
                actor=actor,
                organisation=alice.organisation,
                start=MARCH[0],
                end=MARCH[1],
                statistics=statistics,
            )


def test_the_request_paths_export_waits_for_the_workers(alice: Tenant) -> None:
    snapshot, content = organisation_export(
        actor=alice.manager, organisation=alice.organisation, start=MARCH[0], end=MARCH[1]
    )
    assert content is None and snapshot.data is None
    snapshot_compute(alice.organisation.pk, period_key(*MARCH))
    _, content = organisation_export(
        actor=alice.manager, organisation=alice.organisation, start=MARCH[0], end=MARCH[1]
    )
    assert content is not None and zipfile.is_zipfile(io.BytesIO(content))


def test_the_command_lines_export_computes_the_statistics(alice: Tenant, bob: Tenant) -> None:
    history(alice, bob)
    content = organisation_export_now(
        actor=alice.manager, organisation=alice.organisation, start=START.date(), end=END.date()
    )
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert table(archive, "statistics/totals.csv")[0]["revenue"] == "12,50"


# flotte export-org


@pytest.fixture
def operator_account(db: Any) -> Any:
    return f.UserFactory(email="ops@example.org", is_operator=True)


def test_export_org_writes_the_zip(
    alice: Tenant, bob: Tenant, operator_account: Any, tmp_path: Path, capsys: Any
) -> None:
    history(alice, bob)
    out = tmp_path / "alice.zip"
    code = main(
        [
            "export-org",
            "--org",
            str(alice.organisation.pk),
            "--start",
            "2026-03-01",
            "--end",
            "2026-04-01",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    archive = zipfile.ZipFile(out)
    assert len(table(archive, "bookings.csv")) == 2
    assert bob.vehicle.plate not in archive.read("vehicles.csv").decode("utf-8-sig")
    assert str(out) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--start", "2026-13-01", "--end", "2026-04-01"], 2, "YYYY-MM-DD"),
        (["--start", "2026-04-01", "--end", "2026-03-01"], 1, "ends before it starts"),
    ],
)
def test_export_org_refuses_a_bad_period(
    alice: Tenant,
    operator_account: Any,
    tmp_path: Path,
    capsys: Any,
    args: list[str],
    status: int,
    message: str,
) -> None:
    out = tmp_path / "x.zip"
    assert main(["export-org", "--org", str(alice.organisation.pk), *args, "--out", str(out)]) == (
        status
    )
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_export_org_refuses_an_unknown_organisation_or_no_operator(
    alice: Tenant, tmp_path: Path, capsys: Any
) -> None:
    period = ["--start", "2026-03-01", "--end", "2026-04-01", "--out", str(tmp_path / "x.zip")]
    assert main(["export-org", "--org", str(alice.organisation.pk), *period]) == 1
    assert "no active operator" in capsys.readouterr().err
    assert main(["export-org", "--org", "999999", *period]) == 1
    assert "no organisation 999999" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
