"""The gateway on a real MQTT connection: the in-process broker by default,
Mosquitto in CI's second pass (FLOTTE_TEST_MQTT_URL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from django.db import DatabaseError

from flotte.core import clock
from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Box
from flotte.telematics import gateway as gateway_module
from flotte.telematics.gateway import Gateway, GatewayOptions
from flotte.telematics.models import RejectedMessage, Telemetry
from flotte.telematics.publisher import connect_args
from tests import factories as f
from tests.conftest import Tenant
from tests.telematics.conftest import wait_for
from tests.telematics.messages import FakeBox, stamp

pytestmark = pytest.mark.django_db(transaction=True)


def start_gateway(url: str, real: bool, **options: Any) -> Gateway:
    gateway = Gateway(
        GatewayOptions(
            url=url,
            client_id=f"test-gateway-{options.pop('name', 'one')}",
            share_group=options.pop("share_group", ""),
            mqtt5=real,
            batch_wait=0.02,
            **options,
        )
    ).start()
    assert gateway.wait_subscribed(), "the gateway did not subscribe"
    return gateway


@pytest.fixture
def gateways(mqtt_url: str, real_broker: bool) -> Iterator[Any]:
    """Starts gateways on the test's broker, and stops them all at the end,
    whatever the test's outcome."""
    started: list[Gateway] = []

    def start(**options: Any) -> Gateway:
        options.setdefault("name", f"g{len(started)}")
        started.append(start_gateway(mqtt_url, real_broker, **options))
        return started[-1]

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def gateway(gateways: Any) -> Gateway:
    return gateways(name="one")


class BoxClient:
    """A box on the broker, publishing what a FakeBox composes."""

    def __init__(self, url: str, box_id: str, *, will: bool = True) -> None:
        args = connect_args(url)
        self.fake = FakeBox(box_id)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=box_id)
        if will:
            self.client.will_set(
                f"flotte/v1/boxes/{box_id}/status", json.dumps({"online": False}), 1, True
            )
        self.client.connect(args["host"], args["port"])
        self.client.loop_start()

    def publish(self, leaf: str, payload: bytes, *, retain: bool = False) -> None:
        info = self.client.publish(
            f"flotte/v1/boxes/{self.fake.box_id}/{leaf}", payload, qos=1, retain=retain
        )
        info.wait_for_publish(5)
        assert info.is_published(), "the broker did not take the message"

    def telemetry(self, count: int) -> None:
        for _ in range(count):
            self.publish("telemetry", self.fake.telemetry().payload)

    def close(self, *, cleanly: bool = True) -> None:
        if not cleanly:
            # Drop the socket as a box losing its network would: the broker
            # then publishes the last will.
            self.client.loop_stop()
            self.client.socket().close()
            return
        self.client.disconnect()
        self.client.loop_stop()


def stored(box: Box) -> int:
    with cross_tenant("test"):
        return Telemetry.objects.filter(box=box).count()


@pytest.fixture
def box(alice: Tenant, unique: str) -> Box:
    with cross_tenant("test"):
        Box.objects.filter(pk=alice.box.pk).update(box_id=f"box-{unique}")
        alice.box.refresh_from_db()
    return alice.box


def test_telemetry_published_by_a_box_reaches_the_database(
    gateway: Gateway, mqtt_url: str, box: Box, alice: Tenant
) -> None:
    client = BoxClient(mqtt_url, box.box_id)
    client.telemetry(25)
    assert wait_for(lambda: stored(box) == 25)
    with cross_tenant("test"):
        state = alice.vehicle.__class__.objects.get(pk=alice.vehicle.pk).state
    assert state.odometer_km == 1000.0 and state.energy_pct == 80.0
    client.close()


def test_a_message_received_twice_is_stored_once(gateway: Gateway, mqtt_url: str, box: Box) -> None:
    client = BoxClient(mqtt_url, box.box_id)
    message = client.fake.telemetry().payload
    client.publish("telemetry", message)
    client.publish("telemetry", message)
    client.telemetry(1)  # a marker after the duplicate
    assert wait_for(lambda: stored(box) == 2)
    assert wait_for(lambda: gateway.stats.duplicates == 1)
    client.close()


def test_bad_payloads_are_rejected_counted_and_the_gateway_goes_on(
    gateway: Gateway, mqtt_url: str, box: Box, unique: str
) -> None:
    client = BoxClient(mqtt_url, box.box_id)
    client.publish("telemetry", b"{not json")
    client.publish("telemetry", b"x" * (17 * 1024))
    client.publish("telemetry", json.dumps({"seq": 1}).encode())
    stranger = BoxClient(mqtt_url, f"ghost-{unique}")
    stranger.telemetry(1)
    client.telemetry(3)
    assert wait_for(lambda: stored(box) == 3)
    with cross_tenant("test"):
        reasons = sorted(
            RejectedMessage.objects.filter(topic__contains=unique).values_list("reason", flat=True)
        )
    assert reasons == ["invalid_json", "missing_field", "too_large", "unknown_box"]
    assert gateway.stats.rejected["unknown_box"] >= 1
    client.close()
    stranger.close()


def test_a_box_goes_online_and_its_last_will_takes_it_offline(
    gateway: Gateway, mqtt_url: str, box: Box
) -> None:
    client = BoxClient(mqtt_url, box.box_id)
    status = {"online": True, "firmware": "1.4.2", "ts": stamp(clock.now())}
    client.publish("status", json.dumps(status).encode(), retain=True)

    def online() -> bool:
        box.refresh_from_db()
        return box.online

    assert wait_for(online)
    assert box.firmware == "1.4.2"
    client.close(cleanly=False)
    assert wait_for(lambda: not online(), timeout=15)


def test_a_batch_that_cannot_be_stored_is_kept_and_stored_later(
    gateways: Any, mqtt_url: str, box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_ingest = gateway_module.ingest_batch
    failures = threading.Semaphore(2)

    def flaky(messages: Any) -> Any:
        if failures.acquire(blocking=False):
            raise DatabaseError("the database went away")
        return real_ingest(messages)

    monkeypatch.setattr(gateway_module, "ingest_batch", flaky)
    running = gateways(name="flaky", retry_delay=0.01)
    client = BoxClient(mqtt_url, box.box_id)
    client.telemetry(10)
    assert wait_for(lambda: stored(box) == 10)
    # The figures are counted just after the commit.
    assert wait_for(lambda: running.stats.stored == 10)
    assert not failures.acquire(blocking=False)  # both failures happened
    client.close()


def test_a_message_the_code_cannot_handle_is_set_aside_and_the_rest_stored(
    gateways: Any, mqtt_url: str, box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_ingest = gateway_module.ingest_batch

    def picky(messages: Any) -> Any:
        if any(b'"seq": 3,' in m.payload for m in messages):
            raise RuntimeError("a bug")
        return real_ingest(messages)

    monkeypatch.setattr(gateway_module, "ingest_batch", picky)
    gateways(name="picky")
    client = BoxClient(mqtt_url, box.box_id)
    client.telemetry(5)
    assert wait_for(lambda: stored(box) == 4)
    with cross_tenant("test"):
        assert wait_for(
            lambda: RejectedMessage.objects.filter(
                reason="unhandled", topic__contains=box.box_id
            ).exists()
        )
    client.close()


@pytest.mark.services
def test_gateways_share_the_load_without_loss_or_double_storage(
    gateways: Any, mqtt_url: str, real_broker: bool, alice: Tenant, unique: str
) -> None:
    assert real_broker, "shared subscriptions need Mosquitto: set FLOTTE_TEST_MQTT_URL"
    boxes = [
        f.BoxFactory(organisation=alice.organisation, box_id=f"share-{unique}-{n}")
        for n in range(4)
    ]
    group = f"test-{unique}"
    first = gateways(name=f"a-{unique}", share_group=group)
    second = gateways(name=f"b-{unique}", share_group=group)
    clients = [BoxClient(mqtt_url, b.box_id) for b in boxes]
    for client in clients:
        client.telemetry(50)
    assert wait_for(lambda: sum(stored(b) for b in boxes) == 200, timeout=20)
    assert first.stats.stored > 0 and second.stats.stored > 0
    assert first.stats.stored + second.stats.stored == 200
    for client in clients:
        client.close()


def test_the_embedded_default_starts_a_broker_and_its_gateway(box: Box) -> None:
    from flotte.telematics.publisher import broker_url, set_embedded_url
    from flotte.telematics.runtime import start_embedded

    telematics = start_embedded()
    try:
        assert broker_url() == telematics.broker.url
        client = BoxClient(telematics.broker.url, box.box_id)
        client.telemetry(3)
        assert wait_for(lambda: stored(box) == 3)
        client.close()
    finally:
        telematics.stop()
        set_embedded_url("")
