"""Every page of the member app and of the console checked by axe-core (the
accessibility engine, vendored by `make vendor`) against WCAG 2.1 A and AA:
labels, names of buttons and links, contrast, landmarks, language. A serious
or critical violation fails the test with what and where."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from flotte.core import clock
from tests.booking.test_services import NOW, book
from tests.conftest import Tenant
from tests.telematics.messages import FakeBox, send
from tests.web.browser.conftest import PHONE, Visit
from tests.web.views.conftest import priced  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        RULES,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def check(visit: Visit, page: Any, paths: list[str]) -> None:
    found = {}
    for path in paths:
        page.goto(visit.url(path))
        problems = violations(page)
        if problems:
            found[path] = problems
    assert found == {}, "\n".join(f"{path}: {p}" for path, ps in found.items() for p in ps)


def test_the_member_app_passes_wcag_aa(
    visit: Visit,
    priced: Tenant,  # noqa: F811
) -> None:
    alice = priced
    send(FakeBox(alice.box.box_id).telemetry(NOW - dt.timedelta(minutes=5)))
    current = book(alice, 0, 2)
    slug = alice.community.slug
    page = visit.open(alice.member, viewport=PHONE)
    check(
        visit,
        page,
        [
            f"/c/{slug}/",
            f"/c/{slug}/book/",
            f"/c/{slug}/bookings/",
            f"/c/{slug}/bookings/{current.pk}/",
            f"/c/{slug}/bookings/{current.pk}/cancel/",
            f"/c/{slug}/bookings/{current.pk}/key/",
            f"/c/{slug}/bookings/{current.pk}/inspection/check_in/",
            f"/c/{slug}/bookings/{current.pk}/incidents/new/",
            f"/c/{slug}/invoices/",
            f"/c/{slug}/payment/",
            f"/c/{slug}/carpool/",
            "/profile/",
        ],
    )


def test_the_visitor_pages_pass_wcag_aa(visit: Visit, alice: Tenant) -> None:
    page = visit.open(viewport=PHONE)
    slug = alice.community.slug
    check(visit, page, [f"/c/{slug}/", f"/c/{slug}/signup/", "/login/", "/offline/"])


def test_the_console_passes_wcag_aa(
    visit: Visit,
    priced: Tenant,  # noqa: F811
) -> None:
    alice = priced
    booking = book(alice, 1, 3)
    org = alice.organisation.pk
    page = visit.open(alice.manager)
    check(
        visit,
        page,
        [
            f"/manage/{org}/",
            f"/manage/{org}/planning/",
            f"/manage/{org}/bookings/{booking.pk}/",
            f"/manage/{org}/members/",
            f"/manage/{org}/members/{alice.member.pk}/",
            f"/manage/{org}/groups/",
            f"/manage/{org}/fleet/",
            f"/manage/{org}/fleet/vehicles/{alice.vehicle.pk}/",
            f"/manage/{org}/fleet/vehicles/{alice.vehicle.pk}/edit/",
            f"/manage/{org}/fleet/vehicles/new/",
            f"/manage/{org}/fleet/stations/new/",
            f"/manage/{org}/fleet/stations/{alice.station.pk}/edit/",
            f"/manage/{org}/inspections/",
            f"/manage/{org}/incidents/",
            f"/manage/{org}/invoices/",
            f"/manage/{org}/payouts/",
            f"/manage/{org}/tariffs/",
            f"/manage/{org}/parameters/?q=late_return",
            f"/manage/{org}/statistics/",
            f"/manage/{org}/mailings/",
            f"/manage/{org}/audit/",
        ],
    )
