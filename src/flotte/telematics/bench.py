"""`flotte bench telemetry`: the gateway under a flood of box messages.

In a throw-away database (PostgreSQL when DATABASE_URL points there), with
its own Mosquitto on a free port (or the broker given with ``--broker``) and
one ``flotte gateway`` process:

- **live**: publisher processes flood the broker with the telemetry of N
  boxes (1 % of it sent twice, as QoS 1 redeliveries are) while the gateway
  stores it; the rate is rows stored per second, from the first publish to
  the last row;
- **backlog**: the gateway is stopped, messages pile up in its broker
  session, and the gateway drains them: its rate without publishers
  competing for the two cores;
- **commands**: round trips through the API (``POST`` a command, a box
  acknowledges it, ``GET`` until the state says acked), p50 and p95.

It checks that nothing was lost: every unique message is stored once and
every duplicate dropped.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from flotte.telematics.broker import free_port

DUPLICATE_EVERY = 100
CONNECTIONS_PER_PUBLISHER = 4
# Messages written to a connection at once (about 12 KB), and at most
# waiting for their acknowledgement on each.
PUBLISH_CHUNK = 50
RAW_WINDOW = 1000


@contextmanager
def own_mosquitto() -> Iterator[str]:
    """A Mosquitto for the benchmark, tuned as docs/operations.md advises:
    queues large enough that a gateway restart loses nothing."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        raise RuntimeError("mosquitto is not installed: give --broker mqtt://host:port")
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="flotte-bench-mqtt-"))
    config = folder / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence false\n"
        "max_queued_messages 0\n"
        "max_queued_bytes 0\n"
        "max_inflight_messages 0\n"
        f"log_dest file {folder / 'mosquitto.log'}\n"
        f"user {os.environ.get('USER', 'root')}\n"
    )
    process = subprocess.Popen([binary, "-c", str(config)])  # noqa: S603
    try:
        _wait_port(port)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_port(port: int, timeout: float = 10.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def _seed(boxes: int) -> dict[str, Any]:
    from flotte.accounts.models import Organisation, OrganisationManager, User
    from flotte.core import clock
    from flotte.fleet.models import Box, Station, Vehicle

    now = clock.now()
    org = Organisation.objects.create(name="Banc télémétrie", slug="bench-telemetry")
    station = Station.objects.create(
        organisation=org,
        name="Dépôt",
        address="1 rue du Banc",
        latitude=Decimal("44.933000"),
        longitude=Decimal("4.892000"),
        capacity=boxes,
    )
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(
            organisation=org,
            plate=f"BT-{n:04d}",
            make="Renault",
            model="Zoe",
            energy=Vehicle.Energy.ELECTRIC,
            range_km=300,
            consumption_per_100km=Decimal("17.2"),
            home_station=station,
        )
        for n in range(boxes)
    )
    Box.objects.bulk_create(
        Box(
            box_id=f"bench-{n:05d}",
            organisation=org,
            vehicle=vehicle,
            secret_hash="!",
            provisioned_at=now,
        )
        for n, vehicle in enumerate(vehicles)
    )
    manager = User.objects.create_user("bench-manager@flotte.example", "bench-password-2026")
    OrganisationManager.objects.create(user=manager, organisation=org, since=now)
    return {"manager": manager, "vehicles": [v.pk for v in vehicles]}


def _payloads(box_ids: list[str], per_box: int, first_seq: int) -> Iterator[tuple[str, bytes]]:
    """The telemetry of each box in turn, as JSON written from a template
    (``json.dumps`` of a dict cost the publisher more than the sending)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for i in range(per_box):
        seq, pct, lat = first_seq + i, 80 - (i % 50) * 0.5, 44.93 + i * 1e-4
        for n, box_id in enumerate(box_ids):
            body = (
                f'{{"ts": "{stamp}", "seq": {seq}, "odometer_km": {10_000 + n + i * 0.1!r}, '
                f'"energy": {{"kind": "soc", "pct": {pct!r}, "range_km": 200}}, '
                '"ignition": true, "locked": false, "doors_closed": true, "charging": false, '
                '"key_present": false, "immobilized": false, '
                f'"position": {{"lat": {lat!r}, "lon": 4.89, "accuracy_m": 8}}}}'
            )
            yield f"flotte/v1/boxes/{box_id}/telemetry", body.encode()


def _length(value: int) -> bytes:
    """An MQTT remaining length (a variable byte integer)."""
    out = bytearray()
    while True:
        value, byte = divmod(value, 128)
        out.append(byte | (128 if value else 0))
        if not value:
            return bytes(out)


def _field(value: bytes) -> bytes:
    return len(value).to_bytes(2, "big") + value


class _RawConnection:
    """An MQTT 3.1.1 connection that only publishes at QoS 1, written
    straight on the socket. The publisher stands for hundreds of boxes that
    live on other machines: it must take as little as it can of the two
    cores the broker, the database and the gateway share. At most
    ``WINDOW`` messages wait for their PUBACK, as with paho's
    ``max_inflight_messages_set(1000)``."""

    def __init__(self, url: str, client_id: str) -> None:
        import socket
        import ssl

        from flotte.telematics.publisher import connect_args

        args = connect_args(url)
        sock = socket.create_connection((args["host"], args["port"]), timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args["tls"]:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=args["host"])
        flags, fields = 0x02, _field(client_id.encode())  # a clean session
        if args["username"]:
            flags |= 0x80
            fields += _field(args["username"].encode())
            if args["password"]:
                flags |= 0x40
                fields += _field(args["password"].encode())
        # MQTT 3.1.1 (level 4), no keep-alive: the connection lasts a flood.
        body = _field(b"MQTT") + bytes([4, flags, 0, 0]) + fields
        sock.sendall(b"\x10" + _length(len(body)) + body)
        connack = b""
        while len(connack) < 4:
            chunk = sock.recv(4 - len(connack))
            if not chunk:
                raise RuntimeError("the broker closed the publisher's connection")
            connack += chunk
        if connack[0] != 0x20 or connack[3] != 0:
            raise RuntimeError(f"the broker refused the publisher: {connack!r}")
        self.sock = sock
        self.sent = 0
        self.received = 0  # bytes of PUBACK, 4 each
        self.next_mid = 1

    def _unacknowledged(self) -> int:
        return self.sent - self.received // 4

    def publish(self, messages: list[tuple[str, bytes]]) -> None:
        while self._unacknowledged() + len(messages) > RAW_WINDOW:
            self._read_acks()
        packets = []
        for topic, payload in messages:
            mid, name = self.next_mid, topic.encode()
            self.next_mid = mid % 65535 + 1
            packets.append(b"\x32")  # PUBLISH at QoS 1
            packets.append(_length(len(name) + len(payload) + 4))
            packets.append(_field(name))
            packets.append(mid.to_bytes(2, "big"))
            packets.append(payload)
        self.sock.sendall(b"".join(packets))
        self.sent += len(messages)

    def _read_acks(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError("the broker closed the publisher's connection")
        self.received += len(data)

    def finish(self) -> None:
        """Wait until the broker acknowledged every message, then leave."""
        while self._unacknowledged() > 0:
            self._read_acks()
        self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        self.sock.close()


def _publish(
    url: str, box_ids: list[str], per_box: int, first_seq: int, done: Any, kind: str = "raw"
) -> None:
    """A publisher process: floods the broker with QoS 1 telemetry over
    several connections, 1 % of it twice (redeliveries the gateway must
    drop); reports (messages sent, seconds) once the broker acknowledged
    them all. ``kind`` "paho" publishes through stock paho instead, as the
    benchmark did before 2026-11-27 (it costs the shared cores about twice
    as much)."""
    if kind == "paho":
        _publish_paho(url, box_ids, per_box, first_seq, done)
        return
    connections = [
        _RawConnection(url, f"bench-pub-{os.getpid()}-{n}")
        for n in range(CONNECTIONS_PER_PUBLISHER)
    ]
    began = time.monotonic()
    sent = 0
    pending: list[list[tuple[str, bytes]]] = [[] for _ in connections]
    for index, message in enumerate(_payloads(box_ids, per_box, first_seq)):
        n = index % len(connections)
        pending[n].append(message)
        if index % DUPLICATE_EVERY == 0:
            pending[n].append(message)
        if len(pending[n]) >= PUBLISH_CHUNK:
            connections[n].publish(pending[n])
            sent += len(pending[n])
            pending[n] = []
    for connection, rest in zip(connections, pending, strict=True):
        if rest:
            connection.publish(rest)
            sent += len(rest)
    for connection in connections:
        connection.finish()
    done.put((sent, time.monotonic() - began))


def _publish_paho(url: str, box_ids: list[str], per_box: int, first_seq: int, done: Any) -> None:
    import paho.mqtt.client as mqtt

    from flotte.telematics.publisher import connect_args

    args = connect_args(url)
    clients = []
    for n in range(CONNECTIONS_PER_PUBLISHER):
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{os.getpid()}-{n}"
        )
        client.max_inflight_messages_set(RAW_WINDOW)
        client.max_queued_messages_set(0)
        client.connect(args["host"], args["port"])
        client.loop_start()
        clients.append(client)
    began = time.monotonic()
    sent = 0
    last: dict[int, Any] = {}
    for index, (topic, payload) in enumerate(_payloads(box_ids, per_box, first_seq)):
        n = index % len(clients)
        last[n] = clients[n].publish(topic, payload, qos=1)
        sent += 1
        if index % DUPLICATE_EVERY == 0:
            last[n] = clients[n].publish(topic, payload, qos=1)
            sent += 1
    # Each connection's last message acknowledged: the broker has them all.
    for info in last.values():
        info.wait_for_publish(120)
    for client in clients:
        client.disconnect()
        client.loop_stop()
    done.put((sent, time.monotonic() - began))


def _stored(first_seq: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telematics_telemetry WHERE seq >= %s", [first_seq])
        return int(cursor.fetchone()[0])


def _flood(
    url: str, box_ids: list[str], per_box: int, first_seq: int, publishers: int, kind: str = "raw"
) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    done = context.Queue()
    shares = [box_ids[n::publishers] for n in range(publishers)]
    processes = [
        context.Process(target=_publish, args=(url, share, per_box, first_seq, done, kind))
        for share in shares
    ]
    for process in processes:
        process.start()
    reports = [done.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(30)
    unique = len(box_ids) * per_box
    sent = sum(count for count, _ in reports)
    return {"unique": unique, "sent": sent, "publish_seconds": max(s for _, s in reports)}


def _wait_stored(first_seq: int, expected: int, timeout: float) -> tuple[int, float, float]:
    """Rows stored once they reach ``expected`` or stop growing; with the
    times the first rows and the last ones appeared."""
    deadline = time.monotonic() + timeout
    count, last_count = 0, -1
    first_seen = last_change = time.monotonic()
    while time.monotonic() < deadline:
        count = _stored(first_seq)
        if count != last_count:
            if last_count <= 0 < count:
                first_seen = time.monotonic()
            last_change, last_count = time.monotonic(), count
        if count >= expected or time.monotonic() - last_change > 15:
            break
        time.sleep(0.05)
    return count, first_seen, last_change


def _wait_subscribed(url: str, box_id: str, gateway: _GatewayProcess) -> None:
    """Probe until the gateway stores a message: what is published before it
    subscribes for the first time goes nowhere."""
    import paho.mqtt.client as mqtt

    from flotte.telematics.publisher import connect_args

    args = connect_args(url)
    probe = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-probe")
    probe.connect(args["host"], args["port"])
    probe.loop_start()
    try:
        deadline = time.monotonic() + 60
        while _stored(1) == 0:
            if time.monotonic() > deadline:
                gateway.check()
                raise RuntimeError(f"the gateway stores nothing: see {gateway.log}")
            _, payload = next(_payloads([box_id], 1, 1))
            probe.publish(f"flotte/v1/boxes/{box_id}/telemetry", payload, qos=1)
            time.sleep(0.5)
    finally:
        probe.loop_stop()
        probe.disconnect()


class _GatewayProcess:
    def __init__(self, database_url: str, broker_url: str) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MQTT_URL": broker_url,
            # As in production: no query log kept in memory.
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.mkstemp(prefix="flotte-bench-gateway-", suffix=".log")[1])

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flotte.cli", "gateway", "--client-id", "bench-gateway"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def check(self) -> None:
        """Raise with the end of the gateway's log if it is not running."""
        if self.process is None or self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the gateway is not running; its log ends with:\n{tail}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


def _round_trips(url: str, seeded: dict[str, Any], count: int) -> list[float]:
    """Commands through the API, acknowledged by a responder standing for the
    boxes; milliseconds from the POST to the GET that shows 'acked'."""
    import paho.mqtt.client as mqtt
    from django.test import Client

    from flotte.telematics.publisher import MqttPublisher, connect_args, use_publisher

    args = connect_args(url)
    responder = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-boxes")

    def answer(client: Any, _: Any, message: Any) -> None:
        command = json.loads(message.payload)
        topic = message.topic.rsplit("/", 1)[0] + "/acks"
        ack = {"command_id": command["command_id"], "status": "ok", "detail": ""}
        client.publish(topic, json.dumps(ack), qos=1)

    responder.on_message = answer
    responder.connect(args["host"], args["port"])
    responder.subscribe("flotte/v1/boxes/+/commands", qos=1)
    responder.loop_start()
    publisher = MqttPublisher(url)
    old = use_publisher(publisher)
    web = Client()
    web.force_login(seeded["manager"])
    timings = []
    try:
        time.sleep(0.5)
        for n in range(-1, count):  # the first one, untimed, opens the connections
            vehicle = seeded["vehicles"][n % len(seeded["vehicles"])]
            began = time.perf_counter()
            response = web.post(
                f"/api/v1/vehicles/{vehicle}/commands",
                {"kind": "locate"},
                content_type="application/json",
            )
            if response.status_code != 202:
                raise RuntimeError(f"command refused: {response.content!r}")
            command_id = response.json()["id"]
            while web.get(f"/api/v1/commands/{command_id}").json()["state"] != "acked":
                if time.perf_counter() - began > 10:
                    raise RuntimeError("a command was not acknowledged within 10 s")
                time.sleep(0.002)
            if n >= 0:
                timings.append((time.perf_counter() - began) * 1000)
    finally:
        use_publisher(old)
        publisher.close()
        responder.loop_stop()
        responder.disconnect()
    return timings


def run_telemetry_benchmark(
    *,
    boxes: int,
    per_box: int,
    backlog_per_box: int,
    commands: int,
    broker: str | None,
    publisher: str = "raw",
) -> dict[str, Any]:
    from django.db import connection

    from flotte.benchmarks import throwaway_database
    from flotte.core.context import origin
    from flotte.core.tenancy import cross_tenant

    publishers = max(1, (os.cpu_count() or 2) - 1)
    with throwaway_database() as database_url, _broker(broker) as url:
        with cross_tenant("benchmark"), origin("cli"):
            seeded = _seed(boxes)
            box_ids = [f"bench-{n:05d}" for n in range(boxes)]
            connection.close()
            gateway = _GatewayProcess(database_url, url)
            gateway.start()
            try:
                _wait_subscribed(url, box_ids[0], gateway)
                # Warm-up: one message per box, before the clock starts.
                _flood(url, box_ids, 1, 2, publishers, publisher)
                _wait_stored(2, boxes, 60)
                began = time.monotonic()
                live = _flood(url, box_ids, per_box, 1_000, publishers, publisher)
                live_stored, _, live_done = _wait_stored(1_000, live["unique"], 600)
                live_seconds = live_done - began
                gateway.stop()
                backlog_seq = 1_000 + per_box
                backlog = _flood(url, box_ids, backlog_per_box, backlog_seq, publishers, publisher)
                gateway.start()
                # From the first rows stored: the gateway's start-up is not
                # part of its storing rate.
                backlog_stored, backlog_began, backlog_done = _wait_stored(
                    backlog_seq, backlog["unique"], 600
                )
                backlog_seconds = backlog_done - backlog_began
                timings = _round_trips(url, seeded, commands)
            finally:
                gateway.stop()
        quantiles = statistics.quantiles(timings, n=100)
        return {
            "database": connection.vendor,
            "broker": "own mosquitto" if broker is None else broker,
            "boxes": boxes,
            "publisher_processes": publishers,
            "publisher": publisher,
            "live": {
                "messages_sent": live["sent"],
                "unique_messages": live["unique"],
                "rows_stored": live_stored,
                "duplicates_dropped": live["sent"] - live_stored,
                "lost": live["unique"] - live_stored,
                "publish_rate_per_s": round(live["sent"] / live["publish_seconds"]),
                "stored_per_s": round(live_stored / live_seconds),
            },
            "backlog": {
                "messages_sent": backlog["sent"],
                "rows_stored": backlog_stored,
                "duplicates_dropped": backlog["sent"] - backlog_stored,
                "lost": backlog["unique"] - backlog_stored,
                "stored_per_s": round(backlog_stored / backlog_seconds),
            },
            "commands": {
                "round_trips": len(timings),
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(quantiles[94], 1),
            },
        }


@contextmanager
def _broker(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with own_mosquitto() as own:
        yield own
