"""The console's previews of what a parameter's value does, on the page
for the value in force and again for the value being typed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from flotte.web.parameter_previews import PREVIEWS, preview
from tests.booking.test_services import set_param
from tests.conftest import Tenant

PENALTY, GRACE = "late_return_penalty_per_half_hour", "late_return_grace_min"


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.manager)
    client.cookies["django_language"] = "en"
    return client


def url(tenant: Tenant, rest: str) -> str:
    return f"/manage/{tenant.organisation.pk}/parameters/{rest}"


def test_the_page_shows_the_effect_of_the_organisations_values(
    alice: Tenant, manager: Client
) -> None:
    set_param(alice, PENALTY, "6.00")
    set_param(alice, GRACE, 10)
    html = manager.get(url(alice, f"?q={PENALTY}")).content.decode()
    # 45 minutes late: two started half hours at 6.00.
    assert "A car returned 45 minutes late costs €12.00 more; up to 10 minutes late" in html
    assert f'hx-get="/manage/{alice.organisation.pk}/parameters/{PENALTY}/preview/"' in html


def test_the_preview_follows_the_value_typed_with_the_other_values_in_force(
    alice: Tenant, manager: Client
) -> None:
    set_param(alice, GRACE, 50)
    typed = manager.get(url(alice, f"{PENALTY}/preview/"), {f"{PENALTY}-value": "4.00"})
    assert typed.status_code == 200
    # Within a 50-minute grace period a 45-minute delay costs nothing.
    assert "costs €0.00 more; up to 50 minutes late, nothing" in typed.content.decode()
    grace = manager.get(url(alice, f"{GRACE}/preview/"), {f"{GRACE}-value": "5"})
    assert "costs €20.00 more; up to 5 minutes late" in grace.content.decode()


def test_the_buffers_preview_says_until_when_the_car_is_kept(
    alice: Tenant, manager: Client
) -> None:
    set_param(alice, "booking_ev_charging_buffer_min", 30)
    page = manager.get(
        url(alice, "booking_buffer_min/preview/"), {"booking_buffer_min-value": "15"}
    )
    assert "until 11:00 keeps the car until 11:15, an electric car until 11:45." in (
        page.content.decode()
    )


def test_a_refused_value_says_why_and_saves_nothing(alice: Tenant, manager: Client) -> None:
    page = manager.get(url(alice, f"{GRACE}/preview/"), {f"{GRACE}-value": "-3"})
    assert page.status_code == 200
    assert "The value must be at least 0." in page.content.decode()
    not_a_number = manager.get(url(alice, f"{PENALTY}/preview/"), {f"{PENALTY}-value": "x"})
    assert "Give a number, like 10.00." in not_a_number.content.decode()


def test_only_parameters_with_an_effect_to_show_have_a_preview(
    alice: Tenant, manager: Client
) -> None:
    assert "booking_business_purpose_required" not in PREVIEWS
    assert manager.get(url(alice, "booking_business_purpose_required/preview/")).status_code == 404
    assert manager.get(url(alice, "no_such_parameter/preview/")).status_code == 404


def test_another_organisation_or_a_member_gets_no_preview(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    client.force_login(bob.manager)
    assert client.get(url(alice, f"{PENALTY}/preview/")).status_code == 404
    client.force_login(alice.member)
    assert client.get(url(alice, f"{PENALTY}/preview/")).status_code == 403


def test_every_preview_reads_in_french_too(alice: Tenant) -> None:
    with translation.override("fr"):
        for key in PREVIEWS:
            text = preview(key, alice.organisation)
            assert text and text.endswith("."), key


def test_a_value_of_one_reads_in_the_singular(alice: Tenant) -> None:
    set_param(alice, GRACE, 1)
    set_param(alice, "booking_cancel_free_until_hours", 1)
    with translation.override("fr"):
        assert "jusqu’à 1 minute de retard" in (preview(GRACE, alice.organisation) or "")
        cancel = preview("booking_cancel_fee", alice.organisation) or ""
        assert "moins de 1 heure avant" in cancel
    with translation.override("en"):
        assert "up to 1 minute late" in (preview(PENALTY, alice.organisation) or "")
