"""Web Push (RFC 8030) with VAPID (RFC 8292), through ``pywebpush``: the
payload is encrypted for each device (RFC 8291, aes128gcm) and posted to
the push service the browser chose. The service worker shows it as a
notification; its JSON is ``{"title", "body", "url", "tag"}``."""

from __future__ import annotations

import json

import requests

from flotte.notify.config import PushConfig
from flotte.notify.senders.base import Message, Receipt, SendFailed

TIMEOUT_SECONDS = 10
# A push waits this long for a device that is offline, then is dropped:
# a reminder a day late is no use.
TTL_SECONDS = 12 * 3600
# The push service says the subscription is gone: forget the device.
GONE = {404, 410}


class WebPushSender:
    channel = "push"

    def __init__(self, config: PushConfig, *, session: requests.Session | None = None) -> None:
        from py_vapid import Vapid02

        self.config = config
        self.vapid = Vapid02.from_pem(config.private_key_pem)  # RFC 8292: "vapid t=, k="
        self.session = session or requests.Session()

    def send(self, message: Message) -> Receipt:
        from pywebpush import WebPushException, webpush

        if not message.targets:
            raise SendFailed("no device subscribed to push notifications")
        payload = json.dumps(
            {
                "title": message.subject,
                "body": message.short,
                "url": message.url,
                "tag": message.tag,
            }
        )
        gone: list[str] = []
        errors: list[str] = []
        delivered = 0
        for target in message.targets:
            try:
                webpush(
                    subscription_info={
                        "endpoint": target.endpoint,
                        "keys": {"p256dh": target.p256dh, "auth": target.auth},
                    },
                    data=payload,
                    vapid_private_key=self.vapid,
                    # webpush() adds "aud" and "exp" to the dict it is given.
                    vapid_claims={"sub": self.config.subject},
                    ttl=TTL_SECONDS,
                    timeout=TIMEOUT_SECONDS,
                    requests_session=self.session,
                )
                delivered += 1
            except WebPushException as error:
                status = error.status_code
                if status in GONE:
                    gone.append(target.endpoint)
                errors.append(f"push service answered {status}")
            except (requests.RequestException, ValueError) as error:
                errors.append(f"push service unreachable: {type(error).__name__}")
        if delivered == 0:
            raise SendFailed("; ".join(errors), gone=tuple(gone))
        return Receipt(ref=f"{delivered} device(s)", gone=tuple(gone))
