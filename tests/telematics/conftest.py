from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from flotte.telematics.broker import EmbeddedBroker
from flotte.telematics.publisher import connect_args


@pytest.fixture
def mqtt_url() -> Iterator[str]:
    """The real broker of FLOTTE_TEST_MQTT_URL (CI's second pass runs the
    suite on Mosquitto, and fails if it is down), or a fresh in-process
    broker for each test: amqtt keeps the sessions of clients gone and can
    trip over subscriptions changing while a client connects, so tests do
    not share one."""
    url = os.environ.get("FLOTTE_TEST_MQTT_URL", "")
    if url:
        args = connect_args(url)
        try:
            socket.create_connection((args["host"], args["port"]), timeout=3).close()
        except OSError as error:
            pytest.fail(f"FLOTTE_TEST_MQTT_URL={url} is unreachable: {error}")
        yield url
        return
    broker = EmbeddedBroker().start()
    yield broker.url
    broker.stop()


@pytest.fixture
def real_broker(mqtt_url: str) -> bool:
    """True on Mosquitto (MQTT 5, shared subscriptions), False in process."""
    return bool(os.environ.get("FLOTTE_TEST_MQTT_URL"))


@pytest.fixture
def unique() -> str:
    """A suffix for box ids: a real broker keeps retained messages across runs."""
    return uuid.uuid4().hex[:8]


def wait_for(condition: Any, timeout: float = 10.0, step: float = 0.05) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()
