"""A paho-mqtt client that reads the socket in large chunks.

Stock paho reads each packet with three or four ``recv`` calls (the command
byte, the remaining length byte by byte, the rest) and goes back to
``select`` after every packet when nothing is in flight: for a gateway
receiving thousands of small messages a second, those system calls are
most of its receiving cost. This client keeps what one ``recv`` brought in
a buffer, hands paho its packets from there, and reads every complete
packet before it waits again. Nothing else of paho changes: its parsing,
acknowledgements, keep-alive and reconnection are its own.

Acknowledgements of a whole batch leave in one write (``ack_many``).

It relies on methods of paho 2.x (``_sock_recv``, ``loop_read``, ``_loop``,
``_packet_queue``);
``tests/telematics/test_mqttclient.py`` checks it against a real broker."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes

CHUNK = 256 * 1024
# Packets handled per wake-up at most, so that acknowledgements and pings
# queued meanwhile are written between two floods.
MAX_PACKETS_PER_READ = 5000
PUBACK = PacketTypes.PUBACK << 4
_PUBACK = struct.Struct("!BBH")


class BufferedClient(mqtt.Client):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rx = bytearray()
        self._rx_pos = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        available = len(self._rx) - self._rx_pos
        if available == 0:
            chunk = super()._sock_recv(CHUNK)  # raises BlockingIOError when dry
            if len(chunk) <= bufsize:
                return chunk
            self._rx = bytearray(chunk)
            self._rx_pos = 0
            available = len(self._rx)
        take = min(bufsize, available)
        start = self._rx_pos
        self._rx_pos = start + take
        data = bytes(self._rx[start : self._rx_pos])
        if self._rx_pos == len(self._rx):
            self._rx.clear()
            self._rx_pos = 0
        return data

    def ack_many(self, mids: Iterable[int]) -> None:
        """Acknowledge QoS 1 messages (manual acknowledgement) with one
        queued write instead of one per message: the PUBACKs (MQTT 3.1.1
        and 5 alike: a header and the message id) go out back to back."""
        packet = b"".join(_PUBACK.pack(PUBACK, 2, mid) for mid in mids)
        if packet:
            self._packet_queue(PUBACK, packet, 0, 0)

    def _buffered(self) -> bool:
        return self._rx_pos < len(self._rx)

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        """Read packets until the socket has nothing more for now, instead
        of one per wake-up."""
        if self._sock is None:
            return mqtt.MQTTErrorCode.MQTT_ERR_NO_CONN
        for _ in range(MAX_PACKETS_PER_READ):
            if self._sock is None:
                return mqtt.MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == mqtt.MQTTErrorCode.MQTT_ERR_AGAIN:
                return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    def _loop(self, timeout: float = 1.0) -> mqtt.MQTTErrorCode:
        # Packets left in the buffer (a flood cut at MAX_PACKETS_PER_READ)
        # are read first: the socket may never be readable again for them.
        if self._buffered():
            rc = self.loop_read()
            if rc != mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS:
                return rc
            if self._buffered():
                timeout = 0.0
        return super()._loop(timeout)

    def _reset_sockets(self, sockpair_only: bool = False) -> None:
        self._rx.clear()
        self._rx_pos = 0
        super()._reset_sockets(sockpair_only)
