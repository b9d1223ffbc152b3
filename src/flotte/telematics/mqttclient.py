"""A paho-mqtt client that reads the socket in large chunks.

Stock paho reads each packet with three or four ``recv`` calls (the command
byte, the remaining length byte by byte, the rest) and goes back to
``select`` after every packet when nothing is in flight: for a gateway
receiving thousands of small messages a second, those system calls are
most of its receiving cost. This client keeps what one ``recv`` brought in
a buffer, hands paho its packets from there, and reads every complete
packet before it waits again. Paho's keep-alive, acknowledgements and
reconnection are its own.

Acknowledgements of a whole batch leave in one write (``ack_many``).

A receiver that acknowledges by itself (``manual_ack``) and sets
``on_publish_raw`` gets the QoS 0 and 1 PUBLISH packets that sit whole in
the buffer straight from it, as (topic, payload, message id, QoS): no
``MQTTMessage`` and, on MQTT 5, no ``Properties`` object per message, which
were about half of paho's receiving cost. Every other packet
(acknowledgements, pings, QoS 2, a PUBLISH cut by the end of a read, a
topic that is not UTF-8) still goes through paho and its ``on_message``.

It relies on methods of paho 2.x (``_sock_recv``, ``loop_read``, ``_loop``,
``_packet_queue``, ``_in_packet``);
``tests/telematics/test_mqttclient.py`` checks it against a real broker."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes

CHUNK = 256 * 1024
# Packets handled per wake-up at most, so that acknowledgements and pings
# queued meanwhile are written between two floods.
MAX_PACKETS_PER_READ = 5000
PUBACK = PacketTypes.PUBACK << 4
PUBLISH = PacketTypes.PUBLISH << 4
_PUBACK = struct.Struct("!BBH")

# (topic, payload, message id, QoS)
RawPublishHandler = Callable[[str, bytes, int, int], None]


def _varint(buffer: bytearray, position: int, end: int) -> tuple[int, int]:
    """An MQTT variable byte integer at ``position``: (value, position after
    it), or (-1, position) if the buffer ends first or it is malformed."""
    value, shift = 0, 0
    for index in range(position, min(position + 4, end)):
        byte = buffer[index]
        value |= (byte & 127) << shift
        if byte < 128:
            return value, index + 1
        shift += 7
    return -1, position


class BufferedClient(mqtt.Client):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rx = bytearray()
        self._rx_pos = 0
        self.on_publish_raw: RawPublishHandler | None = None

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

    def _read_publishes(self, handler: RawPublishHandler) -> int:
        """Hand ``handler`` the whole QoS 0 and 1 PUBLISH packets at the
        head of the buffer; stop at the first other or incomplete packet.
        How many were handled."""
        buffer, position, end = self._rx, self._rx_pos, len(self._rx)
        mqtt5 = self._protocol == mqtt.MQTTv5
        handled = 0
        while position < end and handled < MAX_PACKETS_PER_READ:
            command = buffer[position]
            qos = (command >> 1) & 3
            if command & 0xF0 != PUBLISH or qos > 1:
                break
            length, start = _varint(buffer, position + 1, end)
            if length < 2 or start + length > end:
                break
            stop = start + length
            topic_end = start + 2 + ((buffer[start] << 8) | buffer[start + 1])
            if topic_end == start + 2 or topic_end + 2 * qos > stop:
                break  # an empty topic (an alias) or malformed: for paho
            cursor = topic_end
            mid = 0
            if qos:
                mid = (buffer[cursor] << 8) | buffer[cursor + 1]
                cursor += 2
            if mqtt5:
                # The properties are skipped: the gateway grants no topic
                # alias, and reads none of them.
                properties, after = _varint(buffer, cursor, stop)
                if properties < 0:
                    break
                cursor = after + properties
            if cursor > stop:
                break
            try:
                topic = buffer[start + 2 : topic_end].decode()
            except UnicodeDecodeError:
                break
            handler(topic, bytes(buffer[cursor:stop]), mid, qos)
            handled += 1
            position = stop
        if handled:
            if position == end:
                buffer.clear()
                self._rx_pos = 0
            else:
                self._rx_pos = position
            with self._msgtime_mutex:
                self._last_bytes_received = mqtt.time_func()
        return handled

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        """Read packets until the socket has nothing more for now, instead
        of one per wake-up."""
        if self._sock is None:
            return mqtt.MQTTErrorCode.MQTT_ERR_NO_CONN
        # Only a client that acknowledges by itself may skip paho, which
        # would otherwise acknowledge each message once handled.
        handler = self.on_publish_raw if self._manual_ack else None
        packets = 0
        while packets < MAX_PACKETS_PER_READ:
            if self._sock is None:
                return mqtt.MQTTErrorCode.MQTT_ERR_NO_CONN
            if handler is not None and self._in_packet["command"] == 0 and self._buffered():
                packets += self._read_publishes(handler)
                if packets >= MAX_PACKETS_PER_READ:
                    break
            packets += 1
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
