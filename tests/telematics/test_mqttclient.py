"""The buffered paho client of the gateway, against a real broker (the
in-process one, or Mosquitto in CI's second pass)."""

from __future__ import annotations

import threading
import time
from typing import Any

import paho.mqtt.client as mqtt

from flotte.telematics import mqttclient
from flotte.telematics.mqttclient import BufferedClient
from flotte.telematics.publisher import connect_args, mqtt_client
from tests.telematics.conftest import wait_for


def _receiver(url: str, client_id: str, **options: Any) -> tuple[BufferedClient, list[bytes]]:
    received: list[bytes] = []
    client = mqtt_client(url, client_id, buffered=True, **options)
    assert isinstance(client, BufferedClient)
    client.on_message = lambda _c, _u, message: received.append(message.payload)
    return client, received


def _connect(client: Any, url: str) -> None:
    args = connect_args(url)
    subscribed = threading.Event()
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_connect = lambda c, *_: c.subscribe("t/flood/#", 1)
    client.connect(args["host"], args["port"], keepalive=30)
    client.loop_start()
    assert subscribed.wait(10)


def _flood(url: str, count: int, topic: str = "t/flood/a") -> None:
    args = connect_args(url)
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{time.time_ns()}")
    publisher.max_queued_messages_set(0)
    publisher.connect(args["host"], args["port"])
    publisher.loop_start()
    infos = [publisher.publish(topic, str(i).encode(), qos=1) for i in range(count)]
    for info in infos:
        info.wait_for_publish(30)
    publisher.disconnect()
    publisher.loop_stop()


def test_a_flood_longer_than_one_read_arrives_whole_and_in_order(
    mqtt_url: str, monkeypatch: Any
) -> None:
    # A small bound makes the flood cross it many times: the packets left
    # in the buffer when a read stops must be read without new data coming.
    monkeypatch.setattr(mqttclient, "MAX_PACKETS_PER_READ", 7)
    client, received = _receiver(mqtt_url, f"rx-{time.time_ns()}")
    _connect(client, mqtt_url)
    # Not reading while the flood comes: it waits in the socket, and the
    # first read takes far more packets than the bound.
    client.loop_stop()
    try:
        _flood(mqtt_url, 500)
        client.loop_start()
        assert wait_for(lambda: len(received) >= 500, timeout=20)
        assert received == [str(i).encode() for i in range(500)]
    finally:
        client.disconnect()
        client.loop_stop()


def test_ack_many_acknowledges_a_whole_batch_in_one_write(mqtt_url: str) -> None:
    client, received = _receiver(mqtt_url, f"rx-{time.time_ns()}", manual_ack=True)
    mids: list[int] = []
    client.on_message = lambda _c, _u, message: (
        received.append(message.payload),
        mids.append(message.mid),
    )
    _connect(client, mqtt_url)
    writes: list[bytes] = []
    queue = client._packet_queue

    def spy(command: int, packet: bytes, mid: int, qos: int, info: Any = None) -> Any:
        writes.append(bytes(packet))
        return queue(command, packet, mid, qos, info)

    client._packet_queue = spy  # type: ignore[method-assign]
    try:
        # Fewer than Mosquitto's default window of 20 unacknowledged messages.
        _flood(mqtt_url, 15)
        assert wait_for(lambda: len(received) >= 15)
        client.ack_many(mids)
        [packet] = writes
        assert len(packet) == 4 * 15
        assert packet[:2] == bytes([0x40, 2])  # PUBACK, remaining length 2
        assert int.from_bytes(packet[2:4], "big") == mids[0]
        client.ack_many([])
        assert len(writes) == 1
        # The broker took them: the client stays connected and gets more.
        _flood(mqtt_url, 15)
        assert wait_for(lambda: len(received) >= 30)
        assert client.is_connected()
    finally:
        client.disconnect()
        client.loop_stop()
