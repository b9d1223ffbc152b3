"""The telemetry benchmark's load: its payloads pass the protocol's checks,
and its raw publisher speaks MQTT a real broker accepts."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import paho.mqtt.client as mqtt

from flotte.telematics import bench, protocol
from flotte.telematics.publisher import connect_args
from tests.telematics.conftest import wait_for


def test_the_payloads_are_telemetry_the_gateway_accepts() -> None:
    messages = list(bench._payloads(["bench-00000", "bench-00001"], 3, 10))
    assert len(messages) == 6
    now = dt.datetime.now(dt.UTC)
    for index, (topic, payload) in enumerate(messages):
        parsed = protocol.parse(topic, payload, now)
        assert parsed.kind == "telemetry"
        assert parsed.box_id == f"bench-0000{index % 2}"
        assert parsed.seq == 10 + index // 2
        assert parsed.telemetry is not None
        assert parsed.telemetry.odometer_km == 10_000 + index % 2 + (index // 2) * 0.1
        assert json.loads(payload)["energy"] == {
            "kind": "soc",
            "pct": 80 - (index // 2) * 0.5,
            "range_km": 200,
        }


def test_the_raw_publisher_delivers_every_message_in_order(mqtt_url: str) -> None:
    received: list[bytes] = []
    subscribed = threading.Event()
    args = connect_args(mqtt_url)
    listener = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{time.time_ns()}")
    listener.on_message = lambda _c, _u, message: received.append(message.payload)
    listener.on_subscribe = lambda *_: subscribed.set()
    listener.on_connect = lambda c, *_: c.subscribe("t/bench/#", 1)
    listener.connect(args["host"], args["port"])
    listener.loop_start()
    try:
        assert subscribed.wait(10)
        connection = bench._RawConnection(mqtt_url, f"bench-pub-{time.time_ns()}")
        messages = [(f"t/bench/{n % 3}", str(n).encode()) for n in range(300)]
        for start in range(0, 300, 70):
            connection.publish(messages[start : start + 70])
        # Before leaving: the in-process broker drops what it has not
        # forwarded yet when the publisher disconnects.
        assert wait_for(lambda: len(received) >= 300), len(received)
        assert received == [str(n).encode() for n in range(300)]
        connection.finish()  # returns once the broker acknowledged all 300
        assert connection.sent == 300 == connection.received // 4
    finally:
        listener.disconnect()
        listener.loop_stop()
