"""An in-process MQTT broker (amqtt) for the demo and the tests, so the
embedded default needs no Mosquitto. It allows anonymous clients and has no
ACL and no shared subscriptions: production runs Mosquitto (see
docs/box-protocol.md)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class EmbeddedBroker:
    host: str = "127.0.0.1"
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> EmbeddedBroker:
        from amqtt.broker import Broker

        if not self.port:
            self.port = free_port(self.host)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                broker = Broker(config, loop=loop)
                loop.run_until_complete(broker.start())
            except BaseException as error:  # reported to the caller of start()
                failure.append(error)
                ready.set()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(broker.shutdown())
                loop.close()

        self._thread = threading.Thread(target=serve, name="flotte-mqtt-broker", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("the in-process MQTT broker did not start")
        if failure:
            raise RuntimeError(f"the in-process MQTT broker did not start: {failure[0]}")
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        log.info("in-process MQTT broker on %s", self.url)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None
