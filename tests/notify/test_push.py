"""Web Push with VAPID, against a local fake push service on loopback: the
message is encrypted for the device (it decrypts with the device's key),
signed by the platform (the JWT verifies with the public key members'
browsers subscribe with), and a device the service says is gone is
forgotten."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from flotte.core import clock
from flotte.notify.models import PushSubscription
from flotte.notify.senders import Message, PushTarget, SendFailed, sender_for
from flotte.notify.senders.base import push_public_key
from flotte.notify.senders.push import WebPushSender
from flotte.notify.services import notify
from tests.conftest import Tenant
from tests.notify.conftest import rows
from tests.notify.fakes import FakePushService
from tests.notify.test_notify import CONTEXT


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    @property
    def p256dh(self) -> str:
        return b64(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def target(self) -> PushTarget:
        return PushTarget(self.endpoint, self.p256dh, b64(self.auth))

    def read(self, body: bytes) -> Any:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth))


@pytest.fixture
def service(settings: Any) -> Iterator[FakePushService]:
    fake = FakePushService()
    settings.PUBLIC_ADDRESS = fake.start()
    platform_key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = b64(platform_key.private_numbers().private_value.to_bytes(32))
    settings.VAPID_SUBJECT = "mailto:ops@flotte.example.org"
    settings.WEB_PUSH_ALLOW_LOCAL_ENDPOINTS = True
    yield fake
    fake.stop()


def device(service: FakePushService, settings: Any, name: str = "phone") -> Device:
    return Device(
        ec.generate_private_key(ec.SECP256R1()),
        b"0123456789abcdef",
        f"http://{settings.PUBLIC_ADDRESS}/push/{name}",
    )


def message(*targets: PushTarget) -> Message:
    return Message(
        channel="push",
        to="",
        subject="Rappel : Renault Zoe",
        body="",
        short="Rappel : AB-123-CD à 09:30",
        url="https://flotte.example.org/c/agents/bookings/42/",
        tag="booking_reminder",
        targets=targets,
    )


def test_the_settings_choose_web_push(service: FakePushService) -> None:
    assert isinstance(sender_for("push"), WebPushSender)


def test_the_push_is_encrypted_for_the_device(service: FakePushService, settings: Any) -> None:
    phone = device(service, settings)
    sender_for("push").send(message(phone.target()))  # type: ignore[union-attr]
    [request] = service.received
    assert request.path == "/push/phone"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) == 12 * 3600
    assert b"AB-123-CD" not in request.body
    assert phone.read(request.body) == {
        "title": "Rappel : Renault Zoe",
        "body": "Rappel : AB-123-CD à 09:30",
        "url": "https://flotte.example.org/c/agents/bookings/42/",
        "tag": "booking_reminder",
    }


def test_the_push_is_signed_with_the_platforms_vapid_key(
    service: FakePushService, settings: Any
) -> None:
    sender_for("push").send(message(device(service, settings).target()))  # type: ignore[union-attr]
    [request] = service.received
    scheme, _, params = request.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == push_public_key()
    header, claims, signature = fields["t"].split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
    raw = unb64(signature)
    public.verify(  # raises when the signature is not the platform's
        encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    claimed = json.loads(unb64(claims))
    assert claimed["aud"] == f"http://{settings.PUBLIC_ADDRESS}"
    assert claimed["sub"] == "mailto:ops@flotte.example.org"


def test_every_device_of_the_member_gets_it(service: FakePushService, settings: Any) -> None:
    phone, laptop = device(service, settings, "phone"), device(service, settings, "laptop")
    receipt = sender_for("push").send(message(phone.target(), laptop.target()))  # type: ignore[union-attr]
    assert sorted(r.path for r in service.received) == ["/push/laptop", "/push/phone"]
    assert receipt.gone == ()


def test_a_device_the_service_says_is_gone_is_reported(
    service: FakePushService, settings: Any
) -> None:
    phone, old = device(service, settings, "phone"), device(service, settings, "old")
    service.statuses["/push/old"] = 410
    receipt = sender_for("push").send(message(phone.target(), old.target()))  # type: ignore[union-attr]
    assert receipt.gone == (old.endpoint,)


def test_a_push_no_device_accepted_fails(service: FakePushService, settings: Any) -> None:
    old = device(service, settings, "old")
    service.statuses["/push/old"] = 410
    with pytest.raises(SendFailed, match="410") as failure:
        sender_for("push").send(message(old.target()))  # type: ignore[union-attr]
    assert failure.value.gone == (old.endpoint,)


def subscribe(user: Any, phone: Device) -> PushSubscription:
    return PushSubscription.objects.create(
        user=user,
        endpoint=phone.endpoint,
        p256dh=phone.p256dh,
        auth=b64(phone.auth),
        created_at=clock.now(),
    )


def test_a_member_gets_the_push_of_an_event_end_to_end(
    alice: Tenant, service: FakePushService, settings: Any, delivered: Any
) -> None:
    phone = device(service, settings)
    subscribe(alice.member, phone)
    with delivered():
        notify("booking_reminder", alice.member, alice.organisation, CONTEXT)
    pushed = next(row for row in rows(alice.member) if row.channel == "push")
    assert pushed.state == "sent", pushed.error
    [request] = service.received
    assert "AB-123-CD" in phone.read(request.body)["body"]
    assert PushSubscription.objects.get().last_used_at is not None


def test_a_gone_device_is_forgotten_and_the_notification_failed(
    alice: Tenant, service: FakePushService, settings: Any, delivered: Any
) -> None:
    phone = device(service, settings, "old")
    subscribe(alice.member, phone)
    service.statuses["/push/old"] = 410
    with delivered():
        notify("booking_reminder", alice.member, alice.organisation, CONTEXT)
    pushed = next(row for row in rows(alice.member) if row.channel == "push")
    assert pushed.state == "failed"
    assert "410" in pushed.error
    assert not PushSubscription.objects.exists()
