"""How the platform publishes to the boxes: commands, retained access lists
and configs. One seam, so tests record what would be sent."""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, topic: str, payload: dict[str, Any], *, retain: bool = False) -> bool:
        """Publish at QoS 1; True once the broker has it."""


_embedded_url = ""


def set_embedded_url(url: str) -> None:
    """The in-process broker started by ``flotte run`` or ``flotte demo``."""
    global _embedded_url
    _embedded_url = url


def broker_url() -> str:
    return settings.MQTT_URL or _embedded_url


def connect_args(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or (8883 if parts.scheme == "mqtts" else 1883),
        "username": parts.username,
        "password": parts.password,
        "tls": parts.scheme == "mqtts",
    }


def mqtt_client(url: str, client_id: str, *, buffered: bool = False, **options: Any) -> Any:
    """A paho client set up for ``url`` (credentials, TLS), not connected;
    ``buffered`` for a client that receives a flood (the gateway)."""
    import paho.mqtt.client as mqtt

    from flotte.telematics.mqttclient import BufferedClient

    kind = BufferedClient if buffered else mqtt.Client
    args = connect_args(url)
    client = kind(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, **options)
    if args["username"]:
        client.username_pw_set(args["username"], args["password"])
    if args["tls"]:
        client.tls_set()
    return client


class MqttPublisher:
    """A process-wide connection, opened on first use, that reconnects by
    itself; a publish that cannot reach the broker reports False and the
    caller leaves the work queued for a retry."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self._client: Any = None
        self._lock = threading.Lock()

    def _connected(self) -> Any:
        with self._lock:
            if self._client is None:
                args = connect_args(self.url)
                client = mqtt_client(
                    self.url, f"flotte-platform-{os.getpid()}-{uuid.uuid4().hex[:8]}"
                )
                client.connect(args["host"], args["port"], keepalive=30)
                client.loop_start()
                self._client = client
            return self._client

    def publish(self, topic: str, payload: dict[str, Any], *, retain: bool = False) -> bool:
        try:
            info = self._connected().publish(
                topic, json.dumps(payload, separators=(",", ":")), qos=1, retain=retain
            )
            info.wait_for_publish(self.timeout)
            return bool(info.is_published())
        except (OSError, RuntimeError, ValueError) as error:
            log.warning("could not publish to %s: %s", topic, error)
            return False

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.loop_stop()
                self._client.disconnect()
                self._client = None


class RecordingPublisher:
    """Keeps what would be published (tests, and a platform with no broker)."""

    def __init__(self, reachable: bool = True) -> None:
        self.sent: list[tuple[str, dict[str, Any], bool]] = []
        self.reachable = reachable

    def publish(self, topic: str, payload: dict[str, Any], *, retain: bool = False) -> bool:
        if not self.reachable:
            return False
        self.sent.append((topic, payload, retain))
        return True

    def on(self, leaf: str) -> list[dict[str, Any]]:
        return [payload for topic, payload, _ in self.sent if topic.endswith("/" + leaf)]


_publisher: Publisher | None = None
_publisher_lock = threading.Lock()


def publisher() -> Publisher:
    global _publisher
    with _publisher_lock:
        if _publisher is None:
            url = broker_url()
            if url:
                _publisher = MqttPublisher(url)
            else:
                log.warning("no MQTT broker configured: box messages are not sent")
                _publisher = RecordingPublisher(reachable=False)
        return _publisher


def use_publisher(new: Publisher | None) -> Publisher | None:
    """Swap the process-wide publisher (tests, tools); returns the old one."""
    global _publisher
    with _publisher_lock:
        old, _publisher = _publisher, new
    return old
