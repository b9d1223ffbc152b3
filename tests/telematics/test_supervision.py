"""Contact with the boxes: a box silent for longer than the organisation's
parameter shows as "contact lost" and alerts the managers once."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from flotte.booking.models import ManagerAlert
from flotte.core import clock
from flotte.fleet.models import Box
from flotte.telematics import params
from flotte.telematics.ingest import Incoming, ingest_batch
from flotte.telematics.protocol import format_ts
from flotte.telematics.supervision import box_health, contact_lost_sweep
from tests.booking.test_services import NOW, set_param
from tests.conftest import Tenant


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def seen(tenant: Tenant, minutes_ago: float, online: bool = True) -> None:
    at = NOW - dt.timedelta(minutes=minutes_ago)
    Box.objects.filter(pk=tenant.box.pk).update(online=online, status_at=at, last_seen_at=at)


def alerts(tenant: Tenant) -> list[ManagerAlert]:
    return list(
        ManagerAlert.objects.filter(
            kind=ManagerAlert.Kind.CONTACT_LOST, vehicle=tenant.vehicle, resolved_at__isnull=True
        )
    )


def test_a_box_silent_longer_than_the_parameter_raises_an_alert(alice: Tenant, bob: Tenant) -> None:
    seen(alice, 36)
    seen(bob, 5)
    assert contact_lost_sweep() == 1
    [alert] = alerts(alice)
    assert alert.organisation_id == alice.organisation.pk
    assert alert.created_at == NOW
    assert "07:24" in alert.message
    assert alerts(bob) == []


def test_the_alert_is_raised_once_while_it_is_open(alice: Tenant, bob: Tenant) -> None:
    seen(alice, 36)
    seen(bob, 5)
    contact_lost_sweep()
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        assert contact_lost_sweep() == 0
    assert len(alerts(alice)) == 1


def test_a_new_alert_once_the_previous_one_is_resolved(alice: Tenant, bob: Tenant) -> None:
    seen(alice, 36)
    seen(bob, 5)
    contact_lost_sweep()
    ManagerAlert.objects.filter(kind=ManagerAlert.Kind.CONTACT_LOST).update(resolved_at=NOW)
    assert contact_lost_sweep() == 1
    assert len(alerts(alice)) == 1


def test_a_box_heard_recently_raises_no_alert(alice: Tenant, bob: Tenant) -> None:
    seen(alice, 34)
    seen(bob, 1)
    assert contact_lost_sweep() == 0
    assert not ManagerAlert.objects.exists()


def test_the_parameter_sets_how_long_a_box_may_stay_silent(alice: Tenant, bob: Tenant) -> None:
    set_param(alice, params.CONTACT_LOST_AFTER.key, 120)
    seen(alice, 90)
    seen(bob, 90)
    assert contact_lost_sweep() == 1
    assert alerts(alice) == []
    assert len(alerts(bob)) == 1


def test_a_message_from_the_box_keeps_it_in_touch(alice: Tenant, bob: Tenant) -> None:
    seen(alice, 60)
    seen(bob, 1)
    payload = {"ts": format_ts(NOW), "seq": 1, "locked": True}
    ingest_batch(
        [Incoming("flotte/v1/boxes/box-alice/telemetry", json.dumps(payload).encode(), NOW)]
    )
    assert contact_lost_sweep() == 0


def test_a_box_never_heard_from_is_out_of_touch(alice: Tenant, bob: Tenant) -> None:
    seen(bob, 1)
    assert contact_lost_sweep() == 1
    [alert] = alerts(alice)
    assert "since" in alert.message


def test_a_box_not_fitted_to_a_vehicle_raises_no_alert(alice: Tenant) -> None:
    Box.objects.filter(pk=alice.box.pk).update(vehicle=None)
    assert contact_lost_sweep() == 0
    assert not ManagerAlert.objects.exists()


def test_box_health_shows_contact_lost_by_the_organisation_parameter(alice: Tenant) -> None:
    seen(alice, 36)
    health = box_health(Box.objects.get(pk=alice.box.pk))
    assert health["online"] is True
    assert health["last_seen_at"] == NOW - dt.timedelta(minutes=36)
    assert health["contact_lost"] is True
    set_param(alice, params.CONTACT_LOST_AFTER.key, 60)
    assert box_health(Box.objects.get(pk=alice.box.pk))["contact_lost"] is False


def test_a_box_back_in_touch_resolves_its_alert_and_a_new_silence_raises_another(
    alice: Tenant, bob: Tenant
) -> None:
    seen(alice, 36)
    seen(bob, 5)
    contact_lost_sweep()
    seen(alice, 1)
    assert contact_lost_sweep() == 0
    assert alerts(alice) == []
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        assert contact_lost_sweep() == 2  # Alice's box again, and now Bob's
    assert len(alerts(alice)) == 1
