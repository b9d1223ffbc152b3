"""Digital keys: Ed25519 tokens a box checks offline with the public key of
its config (docs/box-protocol.md, "Offline access")."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from flotte.accounts.drivers import member_suspend
from flotte.booking import params as booking_params
from flotte.booking.models import Booking
from flotte.booking.services import booking_cancel
from flotte.core import clock
from flotte.core.errors import Conflict, NotFound, ServiceError
from flotte.core.models import AuditEntry
from flotte.fleet.models import Box
from flotte.telematics import keys
from flotte.telematics.keys import digital_key_issue
from flotte.telematics.models import DigitalKey
from flotte.telematics.protocol import format_ts
from tests import factories as f
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Tenant


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(token: str) -> dict[str, Any]:
    """What a box does: check the signature with the key of its config."""
    body, signature = token.split(".")
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(keys.public_key()))
    public.verify(unb64url(signature), unb64url(body))
    return json.loads(unb64url(body))


def other_member(tenant: Tenant) -> Any:
    member = f.UserFactory()
    f.MembershipFactory(
        user=member, community=tenant.community, group=tenant.member.memberships.get().group
    )
    return member


@pytest.mark.django_db
def test_the_public_key_is_raw_ed25519_in_base64() -> None:
    raw = base64.b64decode(keys.public_key(), validate=True)
    assert len(raw) == 32
    Ed25519PublicKey.from_public_bytes(raw)
    assert keys.public_key() == keys.public_key()


def test_the_token_verifies_with_the_public_key(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    key, token = digital_key_issue(actor=alice.member, booking=booking)
    assert verify(token)["key_id"] == key.key_id


def test_the_token_is_base64url_without_padding(alice: Tenant) -> None:
    _, token = digital_key_issue(actor=alice.member, booking=book(alice, 2, 4))
    body, signature = token.split(".")
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert set(body) <= allowed
    assert set(signature) <= allowed
    assert len(unb64url(signature)) == 64


def test_a_tampered_token_does_not_verify(alice: Tenant) -> None:
    _, token = digital_key_issue(actor=alice.member, booking=book(alice, 2, 4))
    body, signature = token.split(".")
    payload = json.loads(unb64url(body))
    payload["not_after"] = "2027-12-01T08:00:00Z"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        verify(f"{forged}.{signature}")


def test_the_payload_names_the_box_booking_and_window(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    key, token = digital_key_issue(actor=alice.member, booking=booking)
    assert verify(token) == {
        "box_id": "box-alice",
        "booking_id": str(booking.pk),
        "not_before": format_ts(hours(2) - dt.timedelta(minutes=15)),
        "not_after": format_ts(hours(4)),
        "key_id": key.key_id,
    }


def test_the_key_is_recorded_for_the_booking(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    key, _ = digital_key_issue(actor=alice.member, booking=booking)
    stored = DigitalKey.objects.get(key_id=key.key_id)
    assert (stored.booking_id, stored.box_id, stored.organisation_id) == (
        booking.pk,
        alice.box.pk,
        alice.organisation.pk,
    )
    assert (stored.not_before, stored.not_after, stored.issued_at) == (
        hours(1.75),
        hours(4),
        NOW,
    )


def test_the_early_start_parameter_moves_not_before(alice: Tenant) -> None:
    set_param(alice, booking_params.EARLY_START.key, 60)
    _, token = digital_key_issue(actor=alice.member, booking=book(alice, 2, 4))
    assert verify(token)["not_before"] == format_ts(hours(1))


def test_each_key_has_its_own_id(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    first, _ = digital_key_issue(actor=alice.member, booking=booking)
    second, _ = digital_key_issue(actor=alice.member, booking=booking)
    assert first.key_id != second.key_id


def test_a_key_for_a_trip_running_late_lasts_an_hour_from_now(alice: Tenant) -> None:
    with clock.frozen(NOW - dt.timedelta(hours=3)):
        booking = book(alice, -2, -1)
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.STARTED)
    booking.refresh_from_db()
    _, token = digital_key_issue(actor=alice.member, booking=booking)
    assert verify(token)["not_after"] == format_ts(hours(1))


def test_issuing_a_key_is_audited(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    key, _ = digital_key_issue(actor=alice.member, booking=booking)
    entry = AuditEntry.objects.get(action="booking.key_issued", object_id=str(booking.pk))
    assert entry.actor == alice.member
    assert entry.organisation_id == alice.organisation.pk
    assert entry.data == {"key_id": key.key_id}


def test_another_member_cannot_get_a_key(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    with pytest.raises(NotFound):
        digital_key_issue(actor=other_member(alice), booking=booking)
    assert not DigitalKey.objects.exists()


def test_a_manager_of_another_organisation_cannot_get_a_key(alice: Tenant, bob: Tenant) -> None:
    booking = book(alice, 2, 4)
    with pytest.raises(NotFound):
        digital_key_issue(actor=bob.manager, booking=booking)
    assert not DigitalKey.objects.exists()


def test_a_cancelled_booking_has_no_key(alice: Tenant) -> None:
    booking = booking_cancel(actor=alice.member, booking=book(alice, 2, 4))
    with pytest.raises(Conflict) as error:
        digital_key_issue(actor=alice.member, booking=booking)
    assert error.value.code == "not_active"
    assert not DigitalKey.objects.exists()


def test_a_vehicle_without_a_box_has_no_key(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    Box.objects.filter(pk=alice.box.pk).update(vehicle=None)
    with pytest.raises(NotFound) as error:
        digital_key_issue(actor=alice.member, booking=booking)
    assert error.value.code == "no_box"
    assert not DigitalKey.objects.exists()


def test_a_suspended_member_gets_no_key(alice: Tenant) -> None:
    """The access list leaves a suspended driver out (access.py); a digital
    key would let them open the car offline all the same."""
    booking = book(alice, 2, 4)
    member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="dégâts"
    )
    with pytest.raises(ServiceError):
        digital_key_issue(actor=alice.member, booking=booking)
    assert not DigitalKey.objects.exists()


def test_the_current_key_is_the_issued_one_with_the_same_token(alice: Tenant) -> None:
    booking = book(alice, start=1, end=3)
    assert keys.digital_key_current(actor=alice.member, booking=booking) is None
    key, token = digital_key_issue(actor=alice.member, booking=booking)
    current = keys.digital_key_current(actor=alice.member, booking=booking)
    assert current == (key, token)
    assert verify(current[1])["key_id"] == key.key_id
    with clock.frozen(hours(4)):
        assert keys.digital_key_current(actor=alice.member, booking=booking) is None


def test_nobody_else_sees_a_members_current_key(alice: Tenant) -> None:
    booking = book(alice, start=1, end=3)
    digital_key_issue(actor=alice.member, booking=booking)
    with pytest.raises(NotFound):
        keys.digital_key_current(actor=other_member(alice), booking=booking)
