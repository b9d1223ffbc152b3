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


def _publish_packet(
    topic: bytes, payload: bytes, *, qos: int, mid: int, properties: bytes
) -> bytes:
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += mid.to_bytes(2, "big")
    body += properties + payload
    assert len(body) < 128
    return bytes([0x30 | qos << 1, len(body)]) + body


def _raw_receiver(protocol: Any) -> tuple[BufferedClient, list[tuple[str, bytes, int, int]]]:
    client = BufferedClient(mqtt.CallbackAPIVersion.VERSION2, client_id="raw", protocol=protocol)
    seen: list[tuple[str, bytes, int, int]] = []
    client.on_publish_raw = lambda *message: seen.append(message)
    return client, seen


def test_whole_publish_packets_are_read_straight_from_the_buffer() -> None:
    client, seen = _raw_receiver(mqtt.MQTTv5)
    # MQTT 5: a property block (here a payload format indicator) is skipped.
    first = _publish_packet(b"a/b", b"one", qos=1, mid=7, properties=b"\x02\x01\x01")
    second = _publish_packet(b"a/c", b"two", qos=0, mid=0, properties=b"\x00")
    client._rx = bytearray(first + second)
    assert client._read_publishes(client.on_publish_raw) == 2  # type: ignore[arg-type]
    assert seen == [("a/b", b"one", 7, 1), ("a/c", b"two", 0, 0)]
    assert not client._buffered()


def test_what_paho_must_decode_is_left_in_the_buffer() -> None:
    client, seen = _raw_receiver(mqtt.MQTTv311)
    whole = _publish_packet(b"a/b", b"one", qos=1, mid=1, properties=b"")
    cases = {
        "a packet cut by the end of a read": whole[:-1],
        "QoS 2": _publish_packet(b"a/b", b"x", qos=2, mid=2, properties=b""),
        "a topic that is not UTF-8": _publish_packet(b"a/\xff", b"x", qos=1, mid=3, properties=b""),
        "an empty topic": _publish_packet(b"", b"x", qos=1, mid=4, properties=b""),
        "another packet (PUBACK)": bytes([0x40, 2, 0, 9]),
    }
    for case, rest in cases.items():
        seen.clear()
        client._rx, client._rx_pos = bytearray(whole + rest), 0
        assert client._read_publishes(client.on_publish_raw) == 1, case  # type: ignore[arg-type]
        assert seen == [("a/b", b"one", 1, 1)], case
        # paho reads the rest from where the fast path stopped.
        assert client._sock_recv(len(rest)) == rest, case


def test_the_raw_handler_gets_a_split_flood_whole_and_in_order(
    mqtt_url: str, real_broker: bool, monkeypatch: Any
) -> None:
    # Reads of 100 bytes cut most packets in two: paho reads the cut ones,
    # the buffer the others, and the order holds across both paths.
    monkeypatch.setattr(mqttclient, "CHUNK", 100)
    monkeypatch.setattr(mqttclient, "MAX_PACKETS_PER_READ", 7)
    options: dict[str, Any] = {"protocol": mqtt.MQTTv5} if real_broker else {}
    client, _ = _receiver(mqtt_url, f"rx-{time.time_ns()}", manual_ack=True, **options)
    raw: list[tuple[str, bytes, int, int]] = []
    through_paho: list[int] = []

    def receive(topic: str, payload: bytes, mid: int, qos: int) -> None:
        raw.append((topic, payload, mid, qos))
        client.ack(mid, qos)  # Mosquitto sends only 20 unacknowledged at once

    client.on_publish_raw = receive
    client.on_message = lambda _c, _u, message: (
        through_paho.append(message.mid),
        receive(message.topic, message.payload, message.mid, message.qos),
    )
    _connect(client, mqtt_url)
    client.loop_stop()
    try:
        _flood(mqtt_url, 300, topic="t/flood/é")
        client.loop_start()
        assert wait_for(lambda: len(raw) >= 300, timeout=20)
        assert [payload for _, payload, _, _ in raw] == [str(i).encode() for i in range(300)]
        assert {(topic, qos) for topic, _, _, qos in raw} == {("t/flood/é", 1)}
        assert 0 < len(through_paho) < 300
        assert client.is_connected()
    finally:
        client.disconnect()
        client.loop_stop()
