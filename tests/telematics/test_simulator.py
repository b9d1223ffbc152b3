"""The virtual box against box protocol v1, over a real (in-process) broker.

A plain paho client plays the platform: it watches everything the boxes
publish and publishes config, access lists and commands. Each box gets a
unique id, so the module-scoped broker's retained messages never leak
between tests. No database is involved.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import paho.mqtt.client as mqtt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import flotte.telematics.simulator as simulator_package
from flotte.telematics.simulator import BoxSpec, SimulatedBox, Simulation, Station

T0 = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
HOME = (44.933, 4.892)
ELSEWHERE = (44.960, 4.910)
BADGE = "04A1B2C3D4"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def eventually(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll instead of sleeping: returns the first truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Seen:
    topic: str
    body: dict[str, Any]
    retain: bool


class Platform:
    """Subscribes to every box; publishes like the platform would."""

    def __init__(self, broker: Any) -> None:
        self._lock = threading.Lock()
        self.seen: list[Seen] = []
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"platform-{uuid4().hex[:8]}"
        )
        subscribed = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.client.subscribe("flotte/v1/boxes/+/#", qos=1)
        assert subscribed.wait(5)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        body = json.loads(message.payload) if message.payload else {}
        with self._lock:
            self.seen.append(Seen(message.topic, body, message.retain))

    def all(self, box_id: str, leaf: str | None = None) -> list[dict[str, Any]]:
        prefix = f"flotte/v1/boxes/{box_id}/"
        with self._lock:
            return [
                s.body
                for s in self.seen
                if s.topic.startswith(prefix) and (leaf is None or s.topic == prefix + leaf)
            ]

    def events(self, box_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.all(box_id, "events") if kind is None or e["type"] == kind]

    def wait_for(
        self,
        box_id: str,
        leaf: str,
        match: Callable[[dict[str, Any]], bool] = lambda body: True,
        count: int = 1,
    ) -> dict[str, Any]:
        """The ``count``-th message on ``P/leaf`` that matches."""
        found = eventually(lambda: len([b for b in self.all(box_id, leaf) if match(b)]) >= count)
        assert found
        return [b for b in self.all(box_id, leaf) if match(b)][count - 1]

    def publish(self, box_id: str, leaf: str, body: dict[str, Any], retain: bool = False) -> None:
        info = self.client.publish(
            f"flotte/v1/boxes/{box_id}/{leaf}", json.dumps(body), qos=1, retain=retain
        )
        info.wait_for_publish(5)

    def command(
        self,
        box_id: str,
        kind: str,
        *,
        command_id: str | None = None,
        expires_at: datetime = T0 + timedelta(hours=1),
        booking_id: str | None = None,
    ) -> dict[str, Any]:
        """Publish a command and wait for its (next) ack."""
        command_id = command_id or str(uuid4())
        acked = len([a for a in self.all(box_id, "acks") if a["command_id"] == command_id])
        body = {
            "command_id": command_id,
            "type": kind,
            "issued_at": iso(T0),
            "expires_at": iso(expires_at),
            "booking_id": booking_id,
        }
        self.publish(box_id, "commands", body)
        return self.wait_for(box_id, "acks", lambda a: a["command_id"] == command_id, acked + 1)


def retained(broker: Any, topic: str) -> Seen:
    """What a newcomer subscribing to ``topic`` is given."""
    got: list[Seen] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"late-{uuid4().hex[:8]}")
    client.on_message = lambda c, u, m: got.append(Seen(m.topic, json.loads(m.payload), m.retain))
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.subscribe(topic, qos=1)
    try:
        eventually(lambda: got)
    finally:
        client.disconnect()
        client.loop_stop()
    return got[-1]


@pytest.fixture(scope="module")
def broker() -> Iterator[Any]:
    """Mosquitto in CI's second pass (FLOTTE_TEST_MQTT_URL); otherwise an
    in-process broker of this module's own, since amqtt hands every new
    client the retained messages of all subscriptions (and trips over
    subscriptions changing while a client connects): these tests read
    retained messages precisely."""
    from types import SimpleNamespace

    from flotte.telematics.broker import EmbeddedBroker
    from flotte.telematics.publisher import connect_args

    url = os.environ.get("FLOTTE_TEST_MQTT_URL", "")
    if url:
        args = connect_args(url)
        yield SimpleNamespace(host=args["host"], port=args["port"], url=url)
        return
    started = EmbeddedBroker().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def platform(broker: Any) -> Iterator[Platform]:
    watcher = Platform(broker)
    yield watcher
    watcher.client.disconnect()
    watcher.client.loop_stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_box(broker: Any, clock: FakeClock) -> Iterator[Callable[..., SimulatedBox]]:
    made: list[SimulatedBox] = []

    def make(
        connect: bool = True, box_clock: Callable[[], datetime] | None = None, **spec: Any
    ) -> SimulatedBox:
        seq_file = spec.pop("seq_file", None)
        spec.setdefault("lat", HOME[0])
        spec.setdefault("lon", HOME[1])
        box = SimulatedBox(
            BoxSpec(box_id=f"box-{uuid4().hex[:10]}", **spec),
            broker.host,
            broker.port,
            clock=box_clock or clock,
            seq_file=seq_file,
        )
        made.append(box)
        if connect:
            box.connect()
        return box

    yield make
    for box in made:
        box.disconnect()


@pytest.fixture
def box(make_box: Callable[..., SimulatedBox]) -> SimulatedBox:
    return make_box()


def configure(platform: Platform, box: SimulatedBox, **config: Any) -> None:
    """Publish a retained config and wait until the box applied it."""
    platform.publish(box.box_id, "config", config, retain=True)
    eventually(lambda: all(getattr(box.config, k) == v for k, v in config.items()))


def grant(
    platform: Platform,
    box: SimulatedBox,
    version: int = 1,
    badge_uid: str = BADGE,
    booking_id: str = "booking-1",
    valid_from: datetime = T0 - timedelta(hours=1),
    valid_until: datetime = T0 + timedelta(hours=2),
) -> None:
    """Publish a retained access list and wait until the box holds a list."""
    entry = {
        "booking_id": booking_id,
        "badge_uid": badge_uid,
        "valid_from": iso(valid_from),
        "valid_until": iso(valid_until),
    }
    body = {"version": version, "generated_at": iso(T0), "entries": [entry]}
    platform.publish(box.box_id, "access", body, retain=True)
    platform.command(box.box_id, "locate")  # access was handled before this ack
    assert box.access is not None


# -- status and last will ------------------------------------------------------


def test_status_is_retained_and_the_last_will_fires_on_an_abrupt_drop(
    broker: Any, platform: Platform, box: SimulatedBox
) -> None:
    status = platform.wait_for(box.box_id, "status")
    assert status == {"online": True, "firmware": "1.4.2", "ts": iso(T0), "seq": status["seq"]}
    late = retained(broker, f"flotte/v1/boxes/{box.box_id}/status")
    assert late.retain and late.body["online"] is True

    box.go_offline()

    assert platform.wait_for(box.box_id, "status", lambda s: not s["online"]) == {"online": False}
    late = retained(broker, f"flotte/v1/boxes/{box.box_id}/status")
    assert late.retain and late.body == {"online": False}


def test_clean_disconnect_says_offline_itself(platform: Platform, box: SimulatedBox) -> None:
    box.disconnect()

    offline = platform.wait_for(box.box_id, "status", lambda s: not s["online"])
    assert offline == {"online": False, "ts": iso(T0), "seq": box.seq}


# -- telemetry -------------------------------------------------------------------


def test_telemetry_payload_has_the_pages_fields(platform: Platform, box: SimulatedBox) -> None:
    box.tick()

    telemetry = platform.wait_for(box.box_id, "telemetry")
    assert telemetry == {
        "ts": iso(T0),
        "seq": telemetry["seq"],
        "odometer_km": 0.0,
        "energy": {"kind": "soc", "pct": 80.0, "range_km": 240},
        "ignition": False,
        "locked": True,
        "doors_closed": True,
        "charging": False,
        "key_present": True,
        "immobilized": True,
        "position": {"lat": HOME[0], "lon": HOME[1], "accuracy_m": 8},
    }


@pytest.mark.parametrize(
    ("policy", "parked", "at_unlock", "driving", "at_stop"),
    [
        ("always", True, True, True, True),
        ("parked_only", True, True, False, True),
        ("booking_edges", False, True, False, True),
        ("never", False, False, False, False),
    ],
)
def test_position_follows_the_privacy_policy(
    platform: Platform,
    box: SimulatedBox,
    policy: str,
    parked: bool,
    at_unlock: bool,
    driving: bool,
    at_stop: bool,
) -> None:
    configure(platform, box, send_position=policy)

    box.send_telemetry()
    platform.command(box.box_id, "unlock", booking_id="booking-1")
    box.start_engine()

    running = platform.wait_for(box.box_id, "telemetry", lambda t: t["ignition"])
    reports = platform.all(box.box_id, "telemetry")
    first_unlocked = next(t for t in reports if not t["locked"])
    assert ("position" in reports[0]) is parked
    assert ("position" in first_unlocked) is at_unlock
    assert ("position" in running) is driving
    # Where a trip may end, the platform needs to know where the car is.
    box.stop_engine()
    stopped = platform.wait_for(
        box.box_id, "telemetry", lambda t: not t["ignition"] and t["seq"] > running["seq"]
    )
    assert ("position" in stopped) is at_stop


def test_tick_reports_at_the_configured_intervals(
    platform: Platform, box: SimulatedBox, clock: FakeClock
) -> None:
    configure(platform, box, telemetry_interval_s=60, parked_interval_s=600)
    box.tick()  # first report
    clock.advance(seconds=500)
    box.tick()  # parked: not due yet
    clock.advance(seconds=100)
    box.tick()  # 600 s: due
    platform.command(box.box_id, "unlock")  # a state change: reported at once
    box.start_engine()
    clock.advance(seconds=59)
    box.tick()  # driving: not due yet
    clock.advance(seconds=1)
    box.tick()  # 60 s: due

    platform.wait_for(box.box_id, "telemetry", count=6)
    stamps = [t["ts"] for t in platform.all(box.box_id, "telemetry")]
    assert stamps == [
        iso(T0),
        iso(T0 + timedelta(seconds=600)),
        iso(T0 + timedelta(seconds=600)),  # unlocked
        iso(T0 + timedelta(seconds=600)),  # key removed
        iso(T0 + timedelta(seconds=600)),  # ignition on
        iso(T0 + timedelta(seconds=660)),
    ]


# -- seq and the offline buffer -----------------------------------------------------


def test_seq_strictly_increases_and_survives_a_reconnect(
    platform: Platform, box: SimulatedBox
) -> None:
    box.tamper()
    box.send_telemetry()
    box.go_offline()
    box.tamper()
    box.come_back()
    box.send_telemetry()
    platform.wait_for(box.box_id, "telemetry", count=2)

    seqs = [m["seq"] for m in platform.all(box.box_id) if "seq" in m]
    assert seqs == sorted(set(seqs))
    assert seqs[-1] == box.seq


def test_seq_is_kept_across_process_restarts(
    make_box: Callable[..., SimulatedBox], tmp_path: Path
) -> None:
    first = make_box(connect=False, seq_file=tmp_path / "seq")
    first.tamper()
    first.tamper()

    again = SimulatedBox(first.spec, "127.0.0.1", 1, seq_file=tmp_path / "seq")
    assert again.seq == 2


def test_offline_buffer_is_replayed_oldest_first_with_original_ts(
    platform: Platform, box: SimulatedBox, clock: FakeClock
) -> None:
    box.go_offline()
    platform.wait_for(box.box_id, "status", lambda s: not s["online"])
    clock.advance(minutes=1)
    box.tamper()
    clock.advance(minutes=1)
    box.open_doors()  # door_opened_unauthorized, then telemetry
    assert box.buffered == 3
    clock.advance(minutes=10)

    box.come_back()

    platform.wait_for(box.box_id, "status", lambda s: s["online"], count=2)
    after_drop = platform.all(box.box_id)[2:]  # past the first status and the will
    assert [(m.get("type"), m["ts"]) for m in after_drop] == [
        ("tamper", iso(T0 + timedelta(minutes=1))),
        ("door_opened_unauthorized", iso(T0 + timedelta(minutes=2))),
        (None, iso(T0 + timedelta(minutes=2))),  # telemetry
        (None, iso(T0 + timedelta(minutes=12))),  # online again
    ]
    assert after_drop[-1]["online"] is True
    assert box.buffered == 0


# -- commands --------------------------------------------------------------------


def test_unlock_command_is_executed_and_acked_ok(platform: Platform, box: SimulatedBox) -> None:
    ack = platform.command(box.box_id, "unlock", command_id="c-1", booking_id="booking-1")

    assert ack == {
        "command_id": "c-1",
        "status": "ok",
        "detail": "",
        "ts": iso(T0),
        "seq": ack["seq"],
    }
    assert not box.locked and not box.immobilized
    [unlocked] = platform.events(box.box_id, "unlocked")
    assert unlocked["source"] == "app" and unlocked["booking_id"] == "booking-1"


def test_expired_command_is_rejected_and_ignored(platform: Platform, box: SimulatedBox) -> None:
    ack = platform.command(box.box_id, "unlock", expires_at=T0 - timedelta(seconds=1))

    assert (ack["status"], ack["detail"]) == ("rejected", "expired")
    assert box.locked
    assert platform.events(box.box_id, "unlocked") == []


def test_unknown_command_is_rejected(platform: Platform, box: SimulatedBox) -> None:
    ack = platform.command(box.box_id, "self_destruct")

    assert (ack["status"], ack["detail"]) == ("rejected", "unknown_command")


def test_duplicate_command_is_acked_again_but_runs_once(
    platform: Platform, box: SimulatedBox
) -> None:
    first = platform.command(box.box_id, "unlock", command_id="c-dup")
    second = platform.command(box.box_id, "unlock", command_id="c-dup")

    assert first["status"] == second["status"] == "ok"
    assert second["seq"] > first["seq"]
    assert len(platform.events(box.box_id, "unlocked")) == 1


def test_lock_refused_while_a_door_is_open(platform: Platform, box: SimulatedBox) -> None:
    platform.command(box.box_id, "unlock")
    box.open_doors()

    ack = platform.command(box.box_id, "lock")

    assert (ack["status"], ack["detail"]) == ("failed", "doors_open")
    assert not box.locked


# -- offline access: badges ---------------------------------------------------------


def test_valid_badge_unlocks_with_its_booking(platform: Platform, box: SimulatedBox) -> None:
    grant(platform, box)

    assert box.present_badge(BADGE.lower())

    unlocked = platform.wait_for(box.box_id, "events", lambda e: e["type"] == "unlocked")
    assert unlocked["source"] == "badge" and unlocked["booking_id"] == "booking-1"
    assert not box.locked and not box.immobilized


def test_badge_outside_its_window_is_refused(platform: Platform, box: SimulatedBox) -> None:
    grant(platform, box, valid_from=T0 + timedelta(hours=1), valid_until=T0 + timedelta(hours=3))

    assert not box.present_badge(BADGE)

    badge = platform.wait_for(box.box_id, "events", lambda e: e["type"] == "badge")
    assert badge["badge_uid"] == BADGE and "booking_id" not in badge
    assert box.locked and box.immobilized


def test_badge_at_the_end_of_the_window_is_refused(
    platform: Platform, box: SimulatedBox, clock: FakeClock
) -> None:
    grant(platform, box, valid_until=T0 + timedelta(minutes=5))
    clock.advance(minutes=5)  # valid_until itself is outside

    assert not box.present_badge(BADGE)


def test_lower_access_list_version_is_ignored(platform: Platform, box: SimulatedBox) -> None:
    grant(platform, box, version=5, badge_uid="AAAA0001")
    grant(platform, box, version=4, badge_uid="BBBB0002")

    assert box.access is not None and box.access.version == 5
    assert not box.present_badge("BBBB0002")
    assert box.present_badge("AAAA0001")


def test_another_boxs_access_list_is_ignored(
    platform: Platform, make_box: Callable[..., SimulatedBox]
) -> None:
    """The embedded broker hands newcomers other topics' retained messages."""
    grant(platform, make_box())

    newcomer = make_box()
    platform.command(newcomer.box_id, "locate")

    assert newcomer.access is None
    assert not newcomer.present_badge(BADGE)


def test_badge_again_during_the_trip_asks_for_its_end(
    platform: Platform, box: SimulatedBox
) -> None:
    grant(platform, box)
    box.present_badge(BADGE)

    assert box.present_badge(BADGE)

    badge = platform.wait_for(box.box_id, "events", lambda e: e["type"] == "badge")
    assert badge["badge_uid"] == BADGE and badge["booking_id"] == "booking-1"
    assert not box.locked  # the platform decides and sends lock


def test_badge_refused_while_the_engine_runs(platform: Platform, box: SimulatedBox) -> None:
    grant(platform, box)
    box.present_badge(BADGE)
    box.start_engine()

    assert not box.present_badge(BADGE)

    badge = platform.wait_for(box.box_id, "events", lambda e: e["type"] == "badge")
    assert "booking_id" not in badge


# -- offline access: digital keys ------------------------------------------------------


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def make_token(key: Ed25519PrivateKey, **payload: Any) -> str:
    raw = json.dumps(payload).encode()
    return f"{b64url(raw)}.{b64url(key.sign(raw))}"


@pytest.fixture
def keyed_box(
    platform: Platform, box: SimulatedBox, signing_key: Ed25519PrivateKey
) -> SimulatedBox:
    raw = signing_key.public_key().public_bytes_raw()
    configure(platform, box, key_public_key=base64.b64encode(raw).decode())
    return box


def key_payload(box: SimulatedBox, **overrides: Any) -> dict[str, Any]:
    payload = {
        "box_id": box.box_id,
        "booking_id": "booking-7",
        "not_before": iso(T0 - timedelta(minutes=15)),
        "not_after": iso(T0 + timedelta(hours=1)),
        "key_id": "key-7",
    }
    return payload | overrides


def test_valid_digital_key_unlocks(
    platform: Platform, keyed_box: SimulatedBox, signing_key: Ed25519PrivateKey
) -> None:
    assert keyed_box.present_key(make_token(signing_key, **key_payload(keyed_box)))

    platform.wait_for(keyed_box.box_id, "events", lambda e: e["type"] == "unlocked")
    presented, unlocked = platform.events(keyed_box.box_id)
    assert presented["type"] == "key_presented"
    assert (presented["key_id"], presented["booking_id"]) == ("key-7", "booking-7")
    assert (unlocked["source"], unlocked["booking_id"]) == ("key", "booking-7")
    assert not keyed_box.locked and not keyed_box.immobilized


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("bad_signature", "bad_signature"),
        ("wrong_box", "wrong_box"),
        ("not_yet", "outside_window"),
        ("expired", "outside_window"),
    ],
)
def test_invalid_digital_key_is_refused(
    platform: Platform,
    keyed_box: SimulatedBox,
    signing_key: Ed25519PrivateKey,
    case: str,
    reason: str,
) -> None:
    payload = key_payload(keyed_box)
    signer = signing_key
    if case == "bad_signature":
        signer = Ed25519PrivateKey.generate()
    elif case == "wrong_box":
        payload["box_id"] = "some-other-box"
    elif case == "not_yet":
        payload["not_before"] = iso(T0 + timedelta(minutes=1))
    else:
        payload["not_after"] = iso(T0)

    assert not keyed_box.present_key(make_token(signer, **payload))

    presented = platform.wait_for(keyed_box.box_id, "events")
    assert presented == {
        "ts": iso(T0),
        "seq": presented["seq"],
        "type": "key_presented",
        "source": "key",
        "key_id": "key-7",
        "refused": True,
        "reason": reason,
    }
    assert keyed_box.locked and platform.events(keyed_box.box_id, "unlocked") == []


# -- the car --------------------------------------------------------------------


def test_driving_moves_the_car_and_drains_energy(
    platform: Platform, box: SimulatedBox, clock: FakeClock
) -> None:
    platform.command(box.box_id, "unlock")
    assert box.start_engine()
    assert box.drive(30.0, *ELSEWHERE, minutes=40)

    clock.advance(minutes=20)
    box.tick()
    assert box.odometer_km == pytest.approx(15.0)
    assert box.energy_pct == pytest.approx(75.0)  # 15 km of a 300 km range
    clock.advance(minutes=20)
    box.tick()

    arrived = platform.wait_for(box.box_id, "telemetry", lambda t: t["odometer_km"] == 30.0)
    assert arrived["energy"] == {"kind": "soc", "pct": 70.0, "range_km": 210}
    assert (arrived["position"]["lat"], arrived["position"]["lon"]) == ELSEWHERE
    assert not box.driving


def test_charging_adds_energy_over_time(
    platform: Platform, make_box: Callable[..., SimulatedBox], clock: FakeClock
) -> None:
    box = make_box(energy_pct=40.0)
    assert box.plug_in()
    clock.advance(hours=1)
    box.tick()
    clock.advance(hours=2)
    box.tick()

    platform.wait_for(box.box_id, "telemetry", count=3)
    reports = platform.all(box.box_id, "telemetry")
    assert [(t["energy"]["pct"], t["charging"]) for t in reports] == [
        (40.0, True),  # plugged in
        (70.0, True),  # 30 %/h
        (100.0, False),  # full: no longer charging
    ]


def test_fuel_cars_cannot_plug_in(make_box: Callable[..., SimulatedBox]) -> None:
    assert not make_box(connect=False, energy_kind="fuel").plug_in()


def test_forcing_a_locked_door_is_reported(platform: Platform, box: SimulatedBox) -> None:
    assert not box.open_doors()

    event = platform.wait_for(box.box_id, "events")
    assert (event["type"], event["source"]) == ("door_opened_unauthorized", "local")
    telemetry = platform.wait_for(box.box_id, "telemetry")
    assert telemetry["doors_closed"] is False and telemetry["locked"] is True


# -- independence from the platform ------------------------------------------------------


def test_simulator_imports_nothing_from_flotte() -> None:
    """The simulator is a second reading of the protocol page: it must not
    share code (and bugs) with the platform."""
    package = Path(simulator_package.__file__).parent
    allowed = set(sys.stdlib_module_names) | {"paho", "cryptography"}
    files = sorted(package.glob("*.py"))
    assert len(files) >= 2
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # a sibling module of the package itself
                    assert node.level == 1 and node.module, f"{path.name}: {ast.dump(node)}"
                    assert (package / f"{node.module}.py").exists()
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                if name.startswith("paho"):
                    assert name == "paho.mqtt.client", f"{path.name} imports {name}"


# -- autopilot -----------------------------------------------------------------------


def test_autopilot_drives_a_whole_booking(
    platform: Platform, make_box: Callable[..., SimulatedBox]
) -> None:
    started = time.monotonic()

    def running_clock() -> datetime:  # T0, then real time
        return T0 + timedelta(seconds=time.monotonic() - started)

    box = make_box(box_clock=running_clock, energy_pct=60.0)
    grant(platform, box, booking_id="booking-auto")
    box.disconnect()  # run() connects it again
    stations = [Station("Gare", *HOME, charging=True), Station("Mairie", *ELSEWHERE)]
    simulation = Simulation([box], stations, seed=3, step_s=0.02)
    stop = threading.Event()
    runner = threading.Thread(target=simulation.run, args=(stop, 1200.0))
    runner.start()
    try:
        eventually(lambda: simulation.completed, timeout=60)
        eventually(lambda: box.plugged)
    finally:
        stop.set()
        runner.join(10)

    assert simulation.completed == [(box.box_id, "booking-auto")]
    kinds = [(e["type"], e.get("booking_id")) for e in platform.events(box.box_id)]
    assert kinds == [
        ("unlocked", "booking-auto"),
        ("key_removed", None),
        ("ignition_on", None),
        ("ignition_off", None),
        ("key_returned", None),
        ("badge", "booking-auto"),
    ]
    last = platform.wait_for(box.box_id, "telemetry", lambda t: t["charging"])
    assert (last["position"]["lat"], last["position"]["lon"]) == HOME
    assert last["odometer_km"] > 2 * 3.0  # two legs of ~3.5 km as the crow flies
    assert last["energy"]["pct"] < 60.0
    assert (last["ignition"], last["key_present"], last["doors_closed"]) == (False, True, True)
