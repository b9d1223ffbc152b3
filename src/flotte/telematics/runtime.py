"""Starting the telematics processes: the gateway on a real broker, or the
in-process broker and gateway of the embedded default (``flotte run`` and
``flotte demo`` with no ``MQTT_URL``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from flotte.telematics.broker import EmbeddedBroker
from flotte.telematics.gateway import Gateway, GatewayOptions
from flotte.telematics.publisher import set_embedded_url

log = logging.getLogger(__name__)


def gateway_options(url: str, *, embedded: bool = False) -> GatewayOptions:
    return GatewayOptions(
        url=url,
        # The in-process broker speaks MQTT 3.1.1 and has no shared
        # subscriptions; Mosquitto gets MQTT 5 and its receive maximum.
        share_group="" if embedded else settings.GATEWAY_SHARE_GROUP,
        mqtt5=not embedded,
        batch_size=settings.GATEWAY_BATCH_SIZE,
        batch_wait=settings.GATEWAY_BATCH_WAIT_MS / 1000,
    )


@dataclass
class EmbeddedTelematics:
    broker: EmbeddedBroker
    gateway: Gateway

    def stop(self) -> None:
        self.gateway.stop()
        self.broker.stop()


def start_embedded() -> EmbeddedTelematics:
    """The in-process broker and a gateway on it, for the embedded default."""
    broker = EmbeddedBroker().start()
    set_embedded_url(broker.url)
    gateway = Gateway(gateway_options(broker.url, embedded=True)).start()
    gateway.wait_subscribed()
    log.info("telematics: in-process MQTT broker on %s with its gateway", broker.url)
    return EmbeddedTelematics(broker, gateway)
