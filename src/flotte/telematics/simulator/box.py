"""One virtual telematics box speaking box protocol v1 over MQTT.

Written from the protocol page alone (see ``protocol.py``): the platform
must work with any box that follows the page, and this is the box the demo
and the end-to-end tests use to prove it.

Threading: paho runs its network thread (commands, config and access list
arrive there) while the caller drives the car from its own thread. Every
state change and every message happen under one re-entrant lock, so ``seq``
is allocated and the message handed to paho in the same order on both
threads. The lock is never held while joining paho's thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import paho.mqtt.client as mqtt

from .protocol import (
    AccessList,
    BoxConfig,
    KeyRefused,
    decode_payload,
    format_ts,
    parse_ts,
    topic,
    verify_key_token,
)

log = logging.getLogger(__name__)

BOX_ID = re.compile(r"[A-Za-z0-9_-]{3,64}")
OUTBOX_LIMIT = 10_000  # a day of parked reports; older ones are dropped first
REMEMBERED_COMMANDS = 1_000  # enough for every retry window of the platform
LOW_ENERGY_PCT = 10.0
RECONNECT_EVERY_S = 5.0

Clock = Callable[[], datetime]
Result = tuple[str, str]  # (ack status, detail)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BoxSpec:
    """What the box is fitted to; the starting state of the simulated car.

    ``full_range_km`` is the range at 100 %, from which ``range_km`` in the
    telemetry is derived. ``charge_pct_per_h`` is the charging speed when
    plugged in (electric cars only).
    """

    box_id: str
    lat: float
    lon: float
    energy_kind: Literal["soc", "fuel"] = "soc"
    full_range_km: float = 300.0
    energy_pct: float = 80.0
    odometer_km: float = 0.0
    firmware: str = "1.4.2"
    accuracy_m: int = 8
    charge_pct_per_h: float = 30.0

    def __post_init__(self) -> None:
        if not BOX_ID.fullmatch(self.box_id):
            raise ValueError(f"box id {self.box_id!r} is not [A-Za-z0-9_-]{{3,64}}")
        if self.energy_kind not in ("soc", "fuel"):
            raise ValueError(f"energy kind {self.energy_kind!r} is not soc or fuel")
        if self.full_range_km <= 0:
            raise ValueError("full_range_km must be positive")


@dataclass(frozen=True)
class _Outgoing:
    topic: str
    payload: str
    retain: bool


@dataclass
class _Leg:
    """A drive in progress, advanced by ``tick()`` along a straight line."""

    start: datetime
    minutes: float
    km: float
    from_lat: float
    from_lon: float
    to_lat: float
    to_lon: float
    done: float = 0.0  # fraction already applied to odometer and energy


class SimulatedBox:
    """A box and its car. State is readable as plain attributes; change it
    only through the methods, which report what happened as the page says.

    Locking model, kept deliberately small: ``unlock`` (command, badge or
    digital key) unlocks and releases the immobilizer; ``lock`` only locks;
    the immobilizer is engaged only by the ``immobilize`` command (the
    platform sends ``lock`` then ``immobilize`` at the end of a trip). The
    box starts locked and immobilized.

    ``time_scale`` speeds up the car's physics and reporting rhythm (legs,
    charging, telemetry intervals are in simulated time = clock time x
    ``time_scale``) while every ``ts`` stays the clock's time.
    """

    def __init__(
        self,
        spec: BoxSpec,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        clock: Clock | None = None,
        *,
        seq_file: str | Path | None = None,
        keepalive: int = 30,
        time_scale: float = 1.0,
    ) -> None:
        self.spec = spec
        self.box_id = spec.box_id
        self.time_scale = time_scale
        self._host, self._port, self._keepalive = host, port, keepalive
        self._username = username or spec.box_id
        self._password = password
        self._clock = clock or _utc_now
        self._lock = threading.RLock()
        self._seq_file = Path(seq_file) if seq_file else None
        self._seq = self._load_seq()

        self.odometer_km = spec.odometer_km
        self.energy_pct = spec.energy_pct
        self.lat, self.lon = spec.lat, spec.lon
        self.ignition = False
        self.locked = True
        self.immobilized = True
        self.doors_closed = True
        self.key_present = True
        self.plugged = False
        self.booking_id: str | None = None  # the booking the car was last opened for
        self.config = BoxConfig()
        self.access: AccessList | None = None

        self._client: mqtt.Client | None = None
        self._connected = False
        self._want_online = False
        self._ready = threading.Event()
        self._outbox: deque[_Outgoing] = deque(maxlen=OUTBOX_LIMIT)
        self._acks: OrderedDict[str, Result] = OrderedDict()
        self._leg: _Leg | None = None
        self._last_telemetry: datetime | None = None
        self._last_physics: datetime | None = None
        self._low_energy_reported = False
        self._last_reconnect = 0.0
        self._last_sent: mqtt.MQTTMessageInfo | None = None

    # -- derived state ---------------------------------------------------

    @property
    def charging(self) -> bool:
        """Plugged in and not yet full: a full car reports charging false."""
        return self.plugged and self.energy_pct < 100.0

    @property
    def range_km(self) -> int:
        return round(self.energy_pct / 100.0 * self.spec.full_range_km)

    @property
    def driving(self) -> bool:
        return self._leg is not None

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def seq(self) -> int:
        """The last ``seq`` used."""
        return self._seq

    @property
    def buffered(self) -> int:
        """Messages waiting for the network."""
        return len(self._outbox)

    def now(self) -> datetime:
        moment = self._clock()
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    # -- connection ------------------------------------------------------

    def connect(self, timeout: float = 10.0) -> None:
        """Connect, subscribe, replay anything buffered, then publish the
        retained online status. Returns once subscribed, so a command
        published right after cannot be missed."""
        with self._lock:
            client = self._client
        if client is not None:
            if not self._connected:
                self.come_back(timeout)
            return
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.box_id,
            protocol=mqtt.MQTTv311,
            reconnect_on_failure=False,  # reconnection is ours: see tick()
        )
        client.username_pw_set(self._username, self._password)
        client.will_set(
            topic(self.box_id, "status"), json.dumps({"online": False}), qos=1, retain=True
        )
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        with self._lock:
            self._client, self._want_online = client, True
        self._ready.clear()
        client.connect(self._host, self._port, self._keepalive)
        client.loop_start()
        self._wait_ready(timeout)

    def disconnect(self, timeout: float = 5.0) -> None:
        """Clean shutdown: ``{"online": false}`` (retained) first, then an
        MQTT DISCONNECT, so the broker does not fire the last will."""
        with self._lock:
            client, self._want_online = self._client, False
            info = None
            if client is not None and self._connected:
                info = self._emit("status", {"online": False}, retain=True)
        if client is None:
            return
        if info is not None:
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                log.warning("%s: offline status not confirmed", self.box_id)
        client.disconnect()
        client.loop_stop()
        with self._lock:
            self._client, self._connected = None, False

    def go_offline(self, settle_s: float = 2.0) -> None:
        """Lose the network abruptly (a garage): no DISCONNECT, so the broker
        publishes the last will. The car keeps running and buffers.

        What was already handed to the network is let through first (up to
        ``settle_s``): otherwise paho would resend it after the buffer on
        reconnection and the platform would get it out of order.
        """
        with self._lock:
            client, self._connected, self._want_online = self._client, False, False
            last_sent, self._last_sent = self._last_sent, None
        if client is None:
            return
        if last_sent is not None:
            with contextlib.suppress(RuntimeError, ValueError):
                last_sent.wait_for_publish(settle_s)
        sock = client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already gone is fine
                sock.shutdown(socket.SHUT_RDWR)
        client.loop_stop()

    def come_back(self, timeout: float = 10.0) -> None:
        """Reconnect after ``go_offline``; the buffer goes out oldest first
        with its original ``ts`` and ``seq``, then the online status."""
        with self._lock:
            client, self._want_online = self._client, True
        if client is None:
            self.connect(timeout)
            return
        if self._connected:
            return
        self._ready.clear()
        client.loop_stop()
        client.reconnect()
        client.loop_start()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        if not self._ready.wait(timeout) or not self._connected:
            raise ConnectionError(f"{self.box_id}: not connected to {self._host}:{self._port}")

    def _maybe_reconnect(self) -> None:
        """After an unexpected drop (broker restart), retry now and then."""
        if self._connected or not self._want_online or self._client is None:
            return
        if time.monotonic() - self._last_reconnect < RECONNECT_EVERY_S:
            return
        self._last_reconnect = time.monotonic()
        try:
            self.come_back(timeout=2.0)
        except (OSError, ConnectionError) as error:
            log.info("%s: still offline (%s)", self.box_id, error)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: mqtt.ReasonCode,
        properties: mqtt.Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.error("%s: connection refused: %s", self.box_id, reason_code)
            self._ready.set()
            return
        client.subscribe(
            [(topic(self.box_id, leaf), 1) for leaf in ("commands", "access", "config")]
        )
        with self._lock:  # nothing new can slip in between the replay and now
            self._connected = True
            while self._outbox:
                out = self._outbox.popleft()
                self._last_sent = client.publish(out.topic, out.payload, qos=1, retain=out.retain)
            self._emit("status", {"online": True, "firmware": self.spec.firmware}, retain=True)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[mqtt.ReasonCode],
        properties: mqtt.Properties | None,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error("%s: subscription refused: %s", self.box_id, reason_codes)
        self._ready.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: mqtt.ReasonCode,
        properties: mqtt.Properties | None,
    ) -> None:
        with self._lock:
            self._connected = False

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        """Dispatch platform messages; a bad one is logged, never raised
        (an exception here would kill paho's network thread).

        Only our own three topics count: the page's ACL keeps other boxes'
        messages away on Mosquitto, but the embedded amqtt broker (0.12)
        hands a connecting client the retained messages of every client's
        subscriptions, other boxes' access lists included.
        """
        leaf = message.topic.rsplit("/", 1)[-1]
        if leaf not in ("commands", "access", "config") or message.topic != topic(
            self.box_id, leaf
        ):
            log.debug("%s: ignored foreign message on %s", self.box_id, message.topic)
            return
        if not message.payload:
            return  # a cleared retained message
        data = decode_payload(bytes(message.payload))
        if data is None:
            log.warning("%s: rejected payload on %s", self.box_id, message.topic)
            return
        try:
            if leaf == "commands":
                self.handle_command(data)
            elif leaf == "access":
                self.apply_access(data)
            elif leaf == "config":
                with self._lock:
                    self.config = BoxConfig.from_payload(data)
        except Exception:
            log.exception("%s: failed to handle %s", self.box_id, message.topic)

    # -- outgoing messages -------------------------------------------------

    def _load_seq(self) -> int:
        if self._seq_file is None or not self._seq_file.exists():
            return 0
        try:
            return int(self._seq_file.read_text().strip() or 0)
        except ValueError:
            log.warning("%s: unreadable seq file, restarting at 0", self._seq_file)
            return 0

    def _next_seq(self) -> int:
        """``seq`` grows per message and is kept across reboots if a file is given."""
        self._seq += 1
        if self._seq_file is not None:
            scratch = self._seq_file.with_name(self._seq_file.name + ".tmp")
            scratch.write_text(str(self._seq))
            os.replace(scratch, self._seq_file)
        return self._seq

    def _emit(
        self, leaf: str, body: dict[str, Any], *, retain: bool = False
    ) -> mqtt.MQTTMessageInfo | None:
        """Stamp ``ts`` (observation time) and ``seq`` now, then send or buffer."""
        with self._lock:
            message = {"ts": format_ts(self.now()), "seq": self._next_seq(), **body}
            out = _Outgoing(topic(self.box_id, leaf), json.dumps(message), retain)
            if self._connected and self._client is not None:
                self._last_sent = self._client.publish(out.topic, out.payload, qos=1, retain=retain)
                return self._last_sent
            self._outbox.append(out)
            return None

    def _event(self, kind: str, **fields: Any) -> None:
        self._emit("events", {"type": kind, **{k: v for k, v in fields.items() if v is not None}})

    def _telemetry(self, *, edge: bool = False) -> None:
        """One telemetry message; ``edge`` marks the reports sent right at
        unlock, lock and ignition off (where a trip may end), and in answer to
        ``locate``: the only ones with a position under ``booking_edges``."""
        with self._lock:
            body: dict[str, Any] = {
                "odometer_km": round(self.odometer_km, 1),
                "energy": {
                    "kind": self.spec.energy_kind,
                    "pct": round(self.energy_pct, 1),
                    "range_km": self.range_km,
                },
                "ignition": self.ignition,
                "locked": self.locked,
                "doors_closed": self.doors_closed,
                "charging": self.charging,
                "key_present": self.key_present,
                "immobilized": self.immobilized,
            }
            policy = self.config.send_position
            if (
                policy == "always"
                or (policy == "parked_only" and not self.ignition)
                or (policy == "booking_edges" and edge)
            ):
                body["position"] = {
                    "lat": round(self.lat, 6),
                    "lon": round(self.lon, 6),
                    "accuracy_m": self.spec.accuracy_m,
                }
            self._emit("telemetry", body)
            self._last_telemetry = self.now()

    def send_status(self) -> None:
        """The retained online status, as on connect (also used by ``sync``)."""
        self._emit("status", {"online": True, "firmware": self.spec.firmware}, retain=True)

    def send_telemetry(self) -> None:
        self._telemetry()

    # -- commands ----------------------------------------------------------

    def handle_command(self, data: dict[str, Any]) -> None:
        """Execute a ``P/commands`` message and ack it. A ``command_id`` seen
        before (QoS 1 redelivery, platform retry) is acked again with the
        same result without running twice."""
        command_id = data.get("command_id")
        if not isinstance(command_id, str) or not command_id:
            log.warning("%s: command without command_id ignored: %r", self.box_id, data)
            return
        with self._lock:
            result = self._acks.get(command_id)
            if result is None:
                result = self._run_command(data)
                self._acks[command_id] = result
                while len(self._acks) > REMEMBERED_COMMANDS:
                    self._acks.popitem(last=False)
            status, detail = result
            self._emit("acks", {"command_id": command_id, "status": status, "detail": detail})

    def _run_command(self, data: dict[str, Any]) -> Result:
        expires_at = parse_ts(data.get("expires_at"))
        if expires_at is None:
            return ("rejected", "invalid_expires_at")
        if self.now() >= expires_at:
            return ("rejected", "expired")
        booking_id = data.get("booking_id") if isinstance(data.get("booking_id"), str) else None
        # A command carrying a booking comes from the driver's app, any other
        # from the platform itself (fleet manager, end of trip).
        source = "app" if booking_id else "platform"
        kind = data.get("type")
        if kind == "unlock":
            self._unlock(source, booking_id)
        elif kind == "lock":
            if self.ignition:
                return ("failed", "ignition_on")
            if not self.doors_closed:
                return ("failed", "doors_open")
            self.locked = True
            self._event("locked", source=source, booking_id=booking_id)
            self._telemetry(edge=True)
        elif kind == "immobilize":
            if self.ignition:  # never cut a running engine
                return ("failed", "ignition_on")
            self.immobilized = True
            self._event("immobilizer_engaged", source="platform", booking_id=booking_id)
            self._telemetry()
        elif kind == "release_immobilizer":
            self.immobilized = False
            self._event("immobilizer_released", source="platform", booking_id=booking_id)
            self._telemetry()
        elif kind == "locate":
            self._telemetry(edge=True)  # still nothing under "never"
        elif kind == "sync":
            self.send_status()
            self._telemetry()
        else:
            return ("rejected", "unknown_command")
        return ("ok", "")

    def _unlock(self, source: str, booking_id: str | None) -> None:
        """Unlock and release the immobilizer. The ``unlocked`` event is sent
        even if the car was open: the platform starts a trip on it."""
        self.locked = False
        self.immobilized = False
        if booking_id:
            self.booking_id = booking_id
        self._event("unlocked", source=source, booking_id=booking_id)
        self._telemetry(edge=True)

    # -- offline access ------------------------------------------------------

    def apply_access(self, data: dict[str, Any]) -> bool:
        """Keep the highest ``version`` seen; a lower or equal one is a stale
        or repeated list and is ignored. Returns whether it was taken."""
        access = AccessList.from_payload(data)
        with self._lock:
            if access is None or (self.access and access.version <= self.access.version):
                return False
            self.access = access
            return True

    def present_badge(self, badge_uid: str) -> bool:
        """A badge on the reader, decided locally from the access list.

        Valid entry and car locked (or opened for another booking): unlock,
        ``unlocked`` event with the booking. Valid entry while the car is
        open in that booking with ignition off: a ``badge`` event with the
        booking, the driver asking to end the trip. Anything else: refused,
        a ``badge`` event with the UID only.
        """
        with self._lock:
            entry = self.access.find(badge_uid, self.now()) if self.access else None
            if entry is not None and (self.locked or self.booking_id != entry.booking_id):
                self._unlock("badge", entry.booking_id)
                return True
            if entry is not None and not self.ignition:
                self._event(
                    "badge", source="badge", badge_uid=badge_uid, booking_id=entry.booking_id
                )
                return True
            self._event("badge", source="badge", badge_uid=badge_uid)
            return False

    def present_key(self, token: str) -> bool:
        """A phone's digital key, checked offline (signature, box, window).
        Accepted: ``key_presented`` then ``unlocked`` (source ``key``).
        Refused: ``key_presented`` with ``refused: true`` and a reason."""
        with self._lock:
            try:
                key = verify_key_token(token, self.config.key_public_key, self.box_id, self.now())
            except KeyRefused as refusal:
                self._event(
                    "key_presented",
                    source="key",
                    key_id=refusal.key_id,
                    refused=True,
                    reason=refusal.reason,
                )
                return False
            self._event("key_presented", source="key", key_id=key.key_id, booking_id=key.booking_id)
            self._unlock("key", key.booking_id)
            return True

    # -- the car ---------------------------------------------------------------

    def start_engine(self) -> bool:
        """Needs the car unlocked and the immobilizer released. The key must
        be out of its holder to turn on the ignition: if it is still there,
        the driver takes it first (``key_removed``)."""
        with self._lock:
            if self.ignition:
                return True
            if self.locked or self.immobilized:
                return False
            if self.key_present:
                self.remove_key()
            self._advance(self.now())
            self.ignition = True
            self._event("ignition_on")
            self._telemetry()
            return True

    def stop_engine(self) -> bool:
        """Ignition off; a leg still in progress ends where the car is."""
        with self._lock:
            if not self.ignition:
                return False
            self._advance(self.now())
            self._leg = None
            self.ignition = False
            self._event("ignition_off")
            self._telemetry(edge=True)
            return True

    def remove_key(self) -> bool:
        """Take the key from its holder (only reachable with the car open)."""
        with self._lock:
            if not self.key_present or self.locked:
                return False
            self.key_present = False
            self._event("key_removed")
            self._telemetry()
            return True

    def return_key(self) -> bool:
        """Put the key back in its holder (not while it turns the engine)."""
        with self._lock:
            if self.key_present or self.ignition:
                return False
            self.key_present = True
            self._event("key_returned")
            self._telemetry()
            return True

    def open_doors(self) -> bool:
        """Open the doors; forcing them while locked is reported as
        ``door_opened_unauthorized`` and returns False."""
        with self._lock:
            self.doors_closed = False
            if self.locked:
                self._event("door_opened_unauthorized", source="local")
            self._telemetry()
            return not self.locked

    def close_doors(self) -> None:
        with self._lock:
            self.doors_closed = True
            self._telemetry()

    def tamper(self) -> None:
        with self._lock:
            self._event("tamper", source="local")

    def crash(self) -> None:
        with self._lock:
            self._event("crash", source="local")

    def plug_in(self) -> bool:
        """Electric cars only; ``tick()`` then adds charge over time."""
        with self._lock:
            if self.spec.energy_kind != "soc" or self.plugged:
                return False
            self._advance(self.now())
            self.plugged = True
            self._telemetry()
            return True

    def unplug(self) -> bool:
        with self._lock:
            if not self.plugged:
                return False
            self._advance(self.now())
            self.plugged = False
            self._telemetry()
            return True

    def refuel(self) -> bool:
        """Fill the tank of a fuel car (the autopilot's petrol station)."""
        with self._lock:
            if self.spec.energy_kind != "fuel":
                return False
            self.energy_pct = 100.0
            self._low_energy_reported = False
            self._telemetry()
            return True

    def drive(self, km: float, to_lat: float, to_lon: float, minutes: float = 0.0) -> bool:
        """Drive ``km`` along a straight line to the point, over ``minutes``
        of simulated time: ``tick()`` moves the car, adds to the odometer and
        drains energy by ``km / full range`` as time passes. ``minutes <= 0``
        arrives at once. Needs the engine running; a leg in progress is
        completed at once first."""
        with self._lock:
            if not self.ignition:
                return False
            now = self.now()
            if self._leg is not None:
                self._leg.minutes = 0.0
                self._advance(now)
            self._leg = _Leg(now, minutes, max(km, 0.0), self.lat, self.lon, to_lat, to_lon)
            self._advance(now)
            if self._leg is None:
                self._telemetry()
            return True

    def _advance(self, now: datetime) -> bool:
        """Apply simulated time up to ``now`` to the leg and the charge.
        Returns True when a state change (arrival, full battery) happened."""
        changed = False
        since = self._last_physics or now
        sim_s = max((now - since).total_seconds(), 0.0) * self.time_scale
        self._last_physics = now
        leg = self._leg
        if leg is not None:
            elapsed_min = max((now - leg.start).total_seconds(), 0.0) * self.time_scale / 60
            fraction = 1.0 if leg.minutes <= 0 else min(elapsed_min / leg.minutes, 1.0)
            km = leg.km * (fraction - leg.done)
            leg.done = fraction
            self.odometer_km += km
            self.energy_pct = max(self.energy_pct - km / self.spec.full_range_km * 100.0, 0.0)
            self.lat = leg.from_lat + (leg.to_lat - leg.from_lat) * fraction
            self.lon = leg.from_lon + (leg.to_lon - leg.from_lon) * fraction
            if fraction >= 1.0:
                self._leg, changed = None, True
            if self.energy_pct < LOW_ENERGY_PCT and not self._low_energy_reported:
                self._low_energy_reported = True
                self._event("low_battery", pct=round(self.energy_pct, 1))
        if self.charging:
            self.energy_pct = min(
                self.energy_pct + self.spec.charge_pct_per_h * sim_s / 3600, 100.0
            )
            if self.energy_pct > 2 * LOW_ENERGY_PCT:
                self._low_energy_reported = False
            changed = changed or self.energy_pct >= 100.0
        return changed

    def tick(self) -> None:
        """Call often (a few times per simulated interval): advances the car
        and sends telemetry every ``telemetry_interval_s`` with the ignition
        on, ``parked_interval_s`` when parked (simulated seconds), and right
        away when a leg ends or the battery becomes full."""
        self._maybe_reconnect()
        with self._lock:
            now = self.now()
            changed = self._advance(now)
            interval = (
                self.config.telemetry_interval_s if self.ignition else self.config.parked_interval_s
            )
            last = self._last_telemetry
            due = last is None or (now - last).total_seconds() * self.time_scale >= interval
            if changed or due:
                self._telemetry()
