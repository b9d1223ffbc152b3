"""The MQTT gateway (``flotte gateway``): receives what the boxes publish
and stores it in batches, one transaction each.

A message is acknowledged to the broker only after its batch is committed,
so a crash loses nothing: the broker delivers it again and the duplicate is
dropped. Several gateways share the load through a shared subscription
(``$share/<group>/...``); the retained status topics are subscribed
without sharing, since a shared subscription receives no retained message.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, close_old_connections

from flotte.core import clock
from flotte.telematics.ingest import BatchResult, Incoming, ingest_batch, reject_unhandled
from flotte.telematics.protocol import PREFIX
from flotte.telematics.publisher import connect_args, mqtt_client

log = logging.getLogger(__name__)

SHARED_LEAVES = ("telemetry", "events", "acks")
OUTBOUND = frozenset({"commands", "access", "config"})


@dataclass
class GatewayStats(BatchResult):
    """What the gateway stored since it started: its batches' results."""

    batches: int = 0

    def add(self, other: BatchResult) -> None:
        super().add(other)
        self.batches += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": dict(self.rejected),
            "batches": self.batches,
        }


@dataclass
class GatewayOptions:
    url: str
    client_id: str = field(default_factory=lambda: f"flotte-gateway-{socket.gethostname()}")
    share_group: str = ""
    batch_size: int = 2000
    batch_wait: float = 0.02
    mqtt5: bool = True
    # Unacknowledged messages the broker may send at once (MQTT 5): room
    # for a batch being stored and the next one filling.
    receive_maximum: int = 10000
    # How often the gateway retries unanswered commands.
    duties_every: float = 1.0
    # First wait before storing a batch again after a database error
    # (doubled each time, up to 10 s).
    retry_delay: float = 0.5


class Gateway:
    def __init__(self, options: GatewayOptions) -> None:
        self.options = options
        self.stats = GatewayStats()
        # Filled by paho's network thread, emptied by the storing thread: a
        # deque and two events cost far less per message than a Queue.
        self._inbox: deque[tuple[str, bytes, int, int]] = deque()
        self._nonempty = threading.Event()
        self._full = threading.Event()
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._subscription_mid = -1
        self._client: Any = None
        self._worker: threading.Thread | None = None

    # -- MQTT side (paho's network thread) --------------------------------
    def _subscriptions(self) -> list[tuple[str, int]]:
        group = self.options.share_group
        shared = [
            (f"$share/{group}/{PREFIX}/+/{leaf}" if group else f"{PREFIX}/+/{leaf}", 1)
            for leaf in SHARED_LEAVES
        ]
        return [(f"{PREFIX}/+/status", 1), *shared]

    def _on_connect(self, client: Any, _: Any, __: Any, reason: Any, ___: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.error("the broker refused the gateway: %s", reason)
            return
        _, self._subscription_mid = client.subscribe(self._subscriptions())

    def _on_subscribe(self, _: Any, __: Any, mid: int, ___: Any, ____: Any) -> None:
        # Subscribed once the broker acknowledged it: what a box publishes
        # from then on reaches the gateway.
        if mid == self._subscription_mid:
            self._subscribed.set()
            log.info("gateway %s connected and subscribed", self.options.client_id)

    def _on_message(self, _: Any, __: Any, message: Any) -> None:
        # What paho decodes itself: QoS 2, or a packet the buffered client
        # left to it (see _receive).
        self._receive(message.topic, message.payload, message.mid, message.qos)

    def _receive(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        """A message as the buffered client hands it, straight from its
        buffer."""
        if topic.rsplit("/", 1)[-1] in OUTBOUND:
            # The platform's own retained access lists and configs: the
            # in-process broker hands them to every client, subscribed or not.
            if qos > 0:
                self._client.ack(mid, qos)
            return
        self._inbox.append((topic, payload, mid, qos))
        waiting = len(self._inbox)
        if waiting == 1:
            self._nonempty.set()
        elif waiting == self.options.batch_size:
            # Once, as the inbox fills a batch: during a backlog it holds
            # more, and setting the event for each message cost as much as
            # receiving it. _next_batch checks the length after clearing.
            self._full.set()

    def start(self) -> Gateway:
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        options = self.options
        if options.mqtt5:
            client = mqtt_client(
                options.url,
                options.client_id,
                buffered=True,
                protocol=mqtt.MQTTv5,
                manual_ack=True,
            )
        else:
            client = mqtt_client(
                options.url,
                options.client_id,
                buffered=True,
                clean_session=False,
                manual_ack=True,
            )
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_publish_raw = self._receive
        client.on_subscribe = self._on_subscribe
        self._client = client
        args = connect_args(options.url)
        if options.mqtt5:
            properties = Properties(PacketTypes.CONNECT)
            properties.ReceiveMaximum = options.receive_maximum
            # Keep the session an hour: what arrives while the gateway
            # restarts waits for it in the broker.
            properties.SessionExpiryInterval = 3600
            client.connect(
                args["host"], args["port"], keepalive=30, clean_start=False, properties=properties
            )
        else:
            client.connect(args["host"], args["port"], keepalive=30)
        client.loop_start()
        self._worker = threading.Thread(target=self._work, name="flotte-gateway", daemon=True)
        self._worker.start()
        return self

    def wait_subscribed(self, timeout: float = 10.0) -> bool:
        return self._subscribed.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.join(30)
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()

    def run_forever(self, stop: threading.Event) -> None:
        self.start()
        last_report = time.monotonic()
        try:
            while not stop.wait(1.0):
                if time.monotonic() - last_report >= 60:
                    log.info("gateway: %s", self.stats.as_dict())
                    last_report = time.monotonic()
        finally:
            self.stop()

    # -- storage side (the gateway's own thread) --------------------------
    def _next_batch(self) -> list[tuple[Incoming, int, int]]:
        """Up to a batch of messages: as soon as a full one is waiting, or
        what arrived within ``batch_wait`` of the first."""
        size, wait = self.options.batch_size, self.options.batch_wait
        if not self._inbox:
            self._nonempty.wait(wait)
            self._nonempty.clear()
            if not self._inbox:
                return []
        if len(self._inbox) < size:
            self._full.clear()
            if len(self._inbox) < size:
                self._full.wait(wait)
        received_at = clock.now()
        batch = []
        for _ in range(min(size, len(self._inbox))):
            topic, payload, mid, qos = self._inbox.popleft()
            batch.append((Incoming(topic, payload, received_at), mid, qos))
        return batch

    def _work(self) -> None:
        from flotte.telematics.tasks import retry_commands

        last_duties = 0.0
        while not (self._stop.is_set() and not self._inbox):
            batch = self._next_batch()
            if batch:
                self._store(batch)
            if time.monotonic() - last_duties >= self.options.duties_every:
                last_duties = time.monotonic()
                try:
                    retry_commands.run()
                except DatabaseError:
                    log.exception("command retries failed")
                    close_old_connections()

    def _store(self, batch: list[tuple[Incoming, int, int]]) -> None:
        delay = self.options.retry_delay
        while True:
            try:
                result = ingest_batch([incoming for incoming, _, _ in batch])
                break
            except DatabaseError:
                # Not acknowledged: keep the batch and try again; if the
                # process dies now, the broker delivers it again.
                log.exception("could not store a batch of %d messages; retrying", len(batch))
                close_old_connections()
                time.sleep(delay)
                delay = min(delay * 2, 10)
            except Exception:
                # A message the code cannot handle must not block the others:
                # store them one by one, and set aside the one that fails.
                log.exception("a batch of %d messages failed; storing one by one", len(batch))
                result = self._store_one_by_one([incoming for incoming, _, _ in batch])
                break
        self.stats.add(result)
        # Acknowledged only now that the batch is stored, in one write.
        self._client.ack_many(mid for _, mid, qos in batch if qos == 1)
        for _, mid, qos in batch:
            if qos == 2:
                self._client.ack(mid, qos)

    def _store_one_by_one(self, messages: list[Incoming]) -> BatchResult:
        total = BatchResult()
        for incoming in messages:
            try:
                total.add(ingest_batch([incoming]))
            except DatabaseError:
                raise
            except Exception as error:
                log.exception("box message on %s cannot be handled", incoming.topic[:120])
                total.add(reject_unhandled(incoming, error))
        return total
