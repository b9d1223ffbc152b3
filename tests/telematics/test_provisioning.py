"""Box credentials in Mosquitto's format: the hashes, the password and ACL
files, and a real Mosquitto enforcing them on real MQTT clients."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.reasoncodes import ReasonCode

from flotte.cli import main
from flotte.core.tenancy import tenant_scope
from flotte.fleet.models import Box
from flotte.fleet.services import box_provision
from flotte.telematics.provisioning import (
    BOX_SECRET_ITERATIONS,
    box_secret_hash,
    box_secret_matches,
    boxes_to_rotate,
    mosquitto_files,
)
from tests.conftest import Tenant

PLATFORM_USER = "flotte"
PLATFORM_PASSWORD = "platform-password"


def _binary(name: str) -> str:
    """Mosquitto's programs live in sbin, often outside a user's PATH. CI has
    them: a missing one fails the test rather than skipping it."""
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/usr/local/sbin"
    found = shutil.which(name, path=path)
    if found is None:
        pytest.fail(f"`{name}` is not installed: apt-get install mosquitto mosquitto-clients")
    return found


def _hash_fields(hashed: str) -> tuple[int, bytes, bytes]:
    empty, kind, iterations, salt, digest = hashed.split("$")
    assert (empty, kind) == ("", "7")
    return int(iterations), base64.b64decode(salt), base64.b64decode(digest)


# Hashes
def test_box_secret_hash_is_a_mosquitto_pbkdf2_sha512_line() -> None:
    iterations, salt, digest = _hash_fields(box_secret_hash("s3cret"))
    assert iterations == BOX_SECRET_ITERATIONS >= 1000
    assert len(salt) == 12
    assert digest == hashlib.pbkdf2_hmac("sha512", b"s3cret", salt, iterations, 64)


def test_box_secret_hash_salts_every_hash() -> None:
    first, second = box_secret_hash("same"), box_secret_hash("same")
    assert first != second
    assert box_secret_matches(first, "same")
    assert box_secret_matches(second, "same")


def test_box_secret_matches_refuses_a_wrong_secret() -> None:
    hashed = box_secret_hash("right")
    assert not box_secret_matches(hashed, "wrong")
    assert not box_secret_matches(hashed, "")


def test_box_secret_matches_a_hash_written_by_mosquitto_passwd(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    subprocess.run(
        [_binary("mosquitto_passwd"), "-b", "-c", str(passwd), "box-1", "from-mosquitto"],
        check=True,
        capture_output=True,
    )
    hashed = passwd.read_text().strip().split(":", 1)[1]
    assert box_secret_matches(hashed, "from-mosquitto")
    assert not box_secret_matches(hashed, "from-elsewhere")


SALT = base64.b64encode(b"s" * 12).decode()
DIGEST = base64.b64encode(b"d" * 64).decode()


@pytest.mark.parametrize(
    "hashed",
    [
        "",
        "!",
        "pbkdf2_sha256$870000$salt$digest",
        f"$6${SALT}${DIGEST}",
        f"$7$0${SALT}${DIGEST}",
        f"$7$many${SALT}${DIGEST}",
        f"$7$1000${base64.b64encode(b's' * 8).decode()}${DIGEST}",
        f"$7$1000${SALT}${base64.b64encode(b'd' * 32).decode()}",
        f"$7$1000${SALT}$not*base64",
        f"$7$1000${SALT}",
    ],
    ids=[
        "empty",
        "unusable",
        "django",
        "sha512-unsalted-kind",
        "zero-iterations",
        "iterations-not-a-number",
        "short-salt",
        "short-digest",
        "bad-base64",
        "no-digest",
    ],
)
def test_box_secret_matches_nothing_mosquitto_would_drop(hashed: str) -> None:
    assert not box_secret_matches(hashed, "anything")


# Files
def _passwd_entries(text: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in text.splitlines())


def test_mosquitto_files_have_a_line_per_box_and_one_for_the_platform(
    alice: Tenant, operator: Any
) -> None:
    owned, owned_secret = box_provision(
        actor=operator, box_id="box-owned", organisation=alice.organisation
    )
    _, spare_secret = box_provision(actor=operator, box_id="box-spare")
    passwd, _ = mosquitto_files(PLATFORM_USER, PLATFORM_PASSWORD)
    entries = _passwd_entries(passwd)
    assert set(entries) == {"box-owned", "box-spare", PLATFORM_USER}
    assert entries["box-owned"] == Box.objects.get(pk=owned.pk).secret_hash
    assert box_secret_matches(entries["box-owned"], owned_secret)
    assert box_secret_matches(entries["box-spare"], spare_secret)
    assert box_secret_matches(entries[PLATFORM_USER], PLATFORM_PASSWORD)
    assert PLATFORM_PASSWORD not in passwd
    assert _hash_fields(entries[PLATFORM_USER])[0] > BOX_SECRET_ITERATIONS


def test_mosquitto_files_see_the_boxes_of_every_organisation(
    alice: Tenant, bob: Tenant, operator: Any
) -> None:
    box_provision(actor=operator, box_id="box-a", organisation=alice.organisation)
    box_provision(actor=operator, box_id="box-b", organisation=bob.organisation)
    with tenant_scope([alice.organisation.pk], "a manager's request"):
        passwd, _ = mosquitto_files(PLATFORM_USER, PLATFORM_PASSWORD)
    assert {"box-a", "box-b"} <= set(_passwd_entries(passwd))


def test_mosquitto_acl_confines_each_box_and_opens_every_box_to_the_platform(db: Any) -> None:
    _, acl = mosquitto_files(PLATFORM_USER, PLATFORM_PASSWORD)
    rules = [line for line in acl.splitlines() if line and not line.startswith("#")]
    assert rules == [
        "pattern readwrite flotte/v1/boxes/%u/#",
        f"user {PLATFORM_USER}",
        "topic readwrite flotte/v1/boxes/#",
    ]


def test_mosquitto_files_leave_out_boxes_hashed_the_old_way(
    alice: Tenant, operator: Any, caplog: Any
) -> None:
    box_provision(actor=operator, box_id="box-new")
    assert alice.box.secret_hash == "!"  # as the factory and the demo data leave it
    with caplog.at_level(logging.WARNING, logger="flotte.telematics.provisioning"):
        passwd, _ = mosquitto_files(PLATFORM_USER, PLATFORM_PASSWORD)
    assert alice.box.box_id not in _passwd_entries(passwd)
    assert "box-new" in _passwd_entries(passwd)
    assert boxes_to_rotate() == [alice.box.box_id]
    assert f"box {alice.box.box_id} has no broker password: rotate its secret" in caplog.text


@pytest.mark.parametrize("user", ["", "flo:tte", "flo tte", " flotte", "flotte\n", "flotte#", "+"])
def test_mosquitto_files_refuse_a_platform_user_mosquitto_cannot_use(db: Any, user: str) -> None:
    with pytest.raises(ValueError, match="MQTT user"):
        mosquitto_files(user, PLATFORM_PASSWORD)


def test_mosquitto_files_refuse_a_platform_user_named_like_a_box(alice: Tenant) -> None:
    with pytest.raises(ValueError, match="also a box id"):
        mosquitto_files(alice.box.box_id, PLATFORM_PASSWORD)


def test_mosquitto_files_refuse_a_platform_user_without_password(db: Any) -> None:
    with pytest.raises(ValueError, match="needs a password"):
        mosquitto_files(PLATFORM_USER, "")


# A real Mosquitto
@dataclass
class Broker:
    port: int
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def start_mosquitto(tmp_path: Path) -> Iterator[Callable[[Path, Path], Broker]]:
    """Start a private Mosquitto on a free port with these password and ACL
    files; it is killed when the test ends, whatever happens."""
    binary = _binary("mosquitto")
    processes: list[subprocess.Popen[bytes]] = []

    def start(passwd: Path, acl: Path) -> Broker:
        port, log = _free_port(), tmp_path / "mosquitto.log"
        conf = tmp_path / "mosquitto.conf"
        conf.write_text(
            "\n".join(
                [
                    f"listener {port} 127.0.0.1",
                    "per_listener_settings false",
                    "allow_anonymous false",
                    f"password_file {passwd}",
                    f"acl_file {acl}",
                    "persistence false",
                    f"log_dest file {log}",
                    "log_type all",
                    # Started as root, Mosquitto would switch to the user
                    # `mosquitto`, who cannot read 0600 files in tmp_path.
                    f"user {pwd.getpwuid(os.geteuid()).pw_name}",
                ]
            )
            + "\n"
        )
        with open(tmp_path / "mosquitto.out", "wb") as out:
            process = subprocess.Popen([binary, "-c", str(conf)], stdout=out, stderr=out)
        processes.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = (tmp_path / "mosquitto.out").read_text(errors="replace")
                pytest.fail(f"mosquitto exited ({process.returncode}):\n{output}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return Broker(port, log)
            except OSError:
                time.sleep(0.05)
        pytest.fail("mosquitto did not listen within 10 s")

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class Peer:
    """A paho client that records its CONNACK, SUBACKs and messages, and
    waits for them briefly instead of sleeping."""

    def __init__(
        self, port: int, client_id: str, protocol: int, credentials: tuple[str, str] | None
    ) -> None:
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol
        )
        if credentials is not None:
            self.client.username_pw_set(*credentials)
        self.connack: ReasonCode | None = None
        self.subacks: dict[int, list[ReasonCode]] = {}
        self.received: list[tuple[str, str]] = []
        self._changed = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()

    def _note(self, change: Callable[[], None]) -> None:
        with self._changed:
            change()
            self._changed.notify_all()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, code: Any, props: Any) -> None:
        self._note(lambda: setattr(self, "connack", code))

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        self._note(lambda: self.subacks.__setitem__(mid, list(codes)))

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        self._note(lambda: self.received.append((message.topic, message.payload.decode())))

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def wait_connack(self) -> ReasonCode:
        assert self.wait(lambda: self.connack is not None), "no CONNACK"
        assert self.connack is not None
        return self.connack

    def subscribe(self, topic: str) -> ReasonCode:
        """Subscribe at QoS 1 and return the broker's answer: the granted QoS,
        or a failure code."""
        result, mid = self.client.subscribe(topic, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        assert mid is not None
        assert self.wait(lambda: mid in self.subacks), f"no SUBACK for {topic}"
        return self.subacks[mid][0]

    def publish(self, topic: str, payload: str) -> None:
        """Publish at QoS 1 and wait for the broker to have handled it."""
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def got(self, payload: str) -> bool:
        return any(body == payload for _, body in self.received)

    def awaits(self, payload: str) -> bool:
        return self.wait(lambda: self.got(payload))


@pytest.fixture
def peers() -> Iterator[list[Peer]]:
    started: list[Peer] = []
    yield started
    # Disconnect all first: a refused client's loop sleeps up to a second
    # before its next retry, and so they all sleep at once.
    for peer in started:
        peer.client.disconnect()
    for peer in started:
        peer.client.loop_stop()


@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5], ids=["mqtt3.1.1", "mqtt5"])
def test_mosquitto_enforces_the_files_written_by_flotte(
    operator: Any,
    settings: Any,
    tmp_path: Path,
    start_mosquitto: Callable[[Path, Path], Broker],
    peers: list[Peer],
    protocol: int,
) -> None:
    _, secret_a = box_provision(actor=operator, box_id="box-a")
    _, secret_b = box_provision(actor=operator, box_id="box-b")
    settings.MQTT_URL = f"mqtt://{PLATFORM_USER}:{PLATFORM_PASSWORD}@127.0.0.1:1883"
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    assert main(["box", "mosquitto-config", "--passwd", str(passwd), "--acl", str(acl)]) == 0
    assert "$share" not in acl.read_text()  # shared subscriptions need no rule
    broker = start_mosquitto(passwd, acl)

    def peer(client_id: str, credentials: tuple[str, str] | None) -> Peer:
        started = Peer(broker.port, client_id, protocol, credentials)
        peers.append(started)
        return started

    def connected(client_id: str, credentials: tuple[str, str]) -> Peer:
        started = peer(client_id, credentials)
        code = started.wait_connack()
        assert not code.is_failure, f"{client_id} refused: {code}"
        return started

    platform = (PLATFORM_USER, PLATFORM_PASSWORD)
    watcher = connected("flotte-watcher", platform)
    gateway = connected("flotte-gateway-1", platform)
    a = connected("box-a", ("box-a", secret_a))
    b = connected("box-b", ("box-b", secret_b))
    mine, theirs = "flotte/v1/boxes/box-a", "flotte/v1/boxes/box-b"
    assert watcher.subscribe("flotte/v1/boxes/#").value == 1
    assert gateway.subscribe("$share/gw/flotte/v1/boxes/+/telemetry").value == 1
    assert a.subscribe(f"{mine}/commands").value == 1
    assert b.subscribe(f"{theirs}/commands").value == 1

    # A box talks to the platform on its own topics, both ways; the gateway
    # gets telemetry through its shared subscription.
    a.publish(f"{mine}/telemetry", "a-telemetry")
    assert watcher.awaits("a-telemetry")
    assert gateway.awaits("a-telemetry")
    watcher.publish(f"{mine}/commands", "command-for-a")
    assert a.awaits("command-for-a")

    # A box cannot write to another box's topics. Mosquitto handles a
    # client's packets in order, so once A's next message has reached the
    # platform, a forgery that got through would have reached it first.
    a.publish(f"{theirs}/telemetry", "forged-telemetry")
    a.publish(f"{theirs}/acks", "forged-ack")
    a.publish(f"{mine}/telemetry", "a-after-forgery")
    assert watcher.awaits("a-after-forgery")
    assert gateway.awaits("a-after-forgery")
    for forged in ("forged-telemetry", "forged-ack"):
        assert not watcher.got(forged)
        assert not gateway.got(forged)
    watcher.publish(f"{theirs}/commands", "command-for-b")
    assert b.awaits("command-for-b")
    assert not b.got("forged-telemetry")

    # Nor read them: Mosquitto 2.0 grants any SUBSCRIBE (its ACL file does
    # not check subscriptions) and filters each message on delivery; a
    # stricter broker answers 0x80. Either way nothing of B reaches A, not
    # even through a shared subscription of its own.
    for topic in (f"{theirs}/#", "flotte/v1/boxes/+/telemetry", "$share/own/flotte/v1/boxes/#"):
        code = a.subscribe(topic)
        assert code.value in (1, 0x80, 0x87), f"{topic}: {code}"
    b.publish(f"{theirs}/telemetry", "b-telemetry")
    b.publish(f"{theirs}/events", "b-event")
    assert watcher.awaits("b-event")  # they were published
    assert gateway.awaits("b-telemetry")
    watcher.publish(f"{mine}/commands", "after-b")  # routed after B's messages
    assert a.awaits("after-b")
    assert [topic for topic, _ in a.received if topic.startswith(theirs)] == []

    # Who may not connect at all.
    wrong = peer("box-a", ("box-a", secret_a + "x"))
    assert wrong.wait_connack().is_failure
    swapped = peer("box-b", ("box-b", secret_a))
    assert swapped.wait_connack().is_failure
    anonymous = peer("anonymous", None)
    assert anonymous.wait_connack().is_failure
    assert "not authorised" in broker.log.read_text().lower()
