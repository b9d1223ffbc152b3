"""The reminder before departure and the warning before a licence expires:
periodic, each sent once, each set by a parameter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flotte.accounts.models import DriverProfile
from flotte.core import clock
from flotte.core.tasks import registered_tasks
from flotte.notify import params
from flotte.notify.sweeps import licence_expiry_notice_sweep, reminder_sweep
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Tenant
from tests.notify.conftest import emails_to, rows


def test_a_booking_is_reminded_an_hour_before_departure_once(alice: Tenant, delivered: Any) -> None:
    booking = book(alice, 3, 4)
    with delivered():
        with clock.frozen(hours(1.9)):
            assert reminder_sweep() == 0  # more than an hour ahead
        with clock.frozen(hours(2.1)):
            assert reminder_sweep() == 1
            assert reminder_sweep() == 0
    [row] = rows(alice.member, "booking_reminder")
    assert row.key == f"booking:{booking.pk}"
    assert len([m for m in emails_to(alice.member) if "Rappel" in m.subject]) == 1


def test_the_reminder_time_is_a_parameter(alice: Tenant) -> None:
    set_param(alice, params.REMINDER_BEFORE.key, 180, community=alice.community)
    book(alice, 3, 4)
    with clock.frozen(hours(0.5)):
        assert reminder_sweep() == 1  # 2.5 h ahead, within 3 h


def test_no_reminder_when_the_parameter_is_zero(alice: Tenant) -> None:
    set_param(alice, params.REMINDER_BEFORE.key, 0)
    book(alice, 3, 4)
    with clock.frozen(hours(2.99)):
        assert reminder_sweep() == 0


def test_a_booking_made_within_the_reminder_time_is_not_reminded(alice: Tenant) -> None:
    book(alice, 0.5, 2)  # made 30 minutes before departure
    with clock.frozen(hours(0.1)):
        assert reminder_sweep() == 0


def test_a_cancelled_booking_is_not_reminded(alice: Tenant) -> None:
    from flotte.booking.services import booking_cancel

    booking_cancel(actor=alice.member, booking=book(alice, 3, 4))
    with clock.frozen(hours(2.5)):
        assert reminder_sweep() == 0


def test_the_sweeps_are_periodic_jobs() -> None:
    tasks = registered_tasks()
    assert tasks["notify.reminder_sweep"].every == dt.timedelta(minutes=5)
    assert tasks["notify.licence_expiry_sweep"].every is not None


def expires_in(tenant: Tenant, days: int) -> None:
    DriverProfile.objects.filter(user=tenant.member).update(
        licence_expires_on=NOW.date() + dt.timedelta(days=days)
    )


def test_a_driver_is_warned_a_month_before_the_licence_expires_once(
    alice: Tenant, delivered: Any
) -> None:
    expires_in(alice, 31)
    with delivered():
        assert licence_expiry_notice_sweep() == 0
        expires_in(alice, 30)
        assert licence_expiry_notice_sweep() == 1
        assert licence_expiry_notice_sweep() == 0
    [row] = rows(alice.member, "licence_expiring")
    assert row.context["days"] == 30
    [message] = emails_to(alice.member)
    assert "expire" in message.subject


def test_the_licence_notice_is_a_parameter(alice: Tenant, bob: Tenant) -> None:
    set_param(alice, params.LICENCE_NOTICE.key, 10)
    expires_in(alice, 20)
    expires_in(bob, 20)
    assert licence_expiry_notice_sweep() == 1
    assert rows(alice.member) == []
    assert len(rows(bob.member, "licence_expiring")) == 1


def test_no_licence_warning_when_the_parameter_is_zero(alice: Tenant) -> None:
    set_param(alice, params.LICENCE_NOTICE.key, 0)
    expires_in(alice, 1)
    assert licence_expiry_notice_sweep() == 0


def test_an_expired_licence_is_not_warned_about(alice: Tenant) -> None:
    expires_in(alice, -3)
    assert licence_expiry_notice_sweep() == 0


def test_a_renewed_licence_is_warned_about_again_before_its_own_expiry(alice: Tenant) -> None:
    expires_in(alice, 5)
    assert licence_expiry_notice_sweep() == 1
    expires_in(alice, 25)  # renewed: a new expiry date, within the notice again
    assert licence_expiry_notice_sweep() == 1
    assert len(rows(alice.member, "licence_expiring")) == 2


def test_a_member_not_validated_is_not_warned(alice: Tenant) -> None:
    from flotte.accounts.models import DriverApproval

    DriverApproval.objects.filter(user=alice.member).update(status="submitted")
    expires_in(alice, 5)
    assert licence_expiry_notice_sweep() == 0
