"""SMS: Brevo's transactional SMS API, or the log on a laptop.

Brevo: ``POST {base}/v3/transactionalSMS/send`` with the ``api-key`` header
and a JSON body ``{sender, recipient, content, type, tag, unicodeEnabled}``;
201 answers ``{"messageId": ...}``, an error ``{"code", "message"}`` with a
4xx status (402: no credits left).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import requests

from flotte.notify.config import SmsConfig
from flotte.notify.senders.base import Message, Receipt, Sender, SendFailed

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# The GSM 03.38 basic set and its extension table: a text within them goes
# as 160-character parts; anything else needs Unicode (70 characters).
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€"
)


def needs_unicode(text: str) -> bool:
    return any(char not in GSM7 for char in text)


def international_number(raw: str, country_code: str) -> str | None:
    """``06 12 34 56 78`` → ``33612345678``; ``+44 7700 900123`` and
    ``0044...`` keep their own code. None when it is not a phone number."""
    text = re.sub(r"[\s.\-()/]", "", raw or "")
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0"):
        digits = country_code + text[1:]
    else:
        digits = text
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        return None
    return digits


class BrevoSms:
    channel = "sms"

    def __init__(self, config: SmsConfig, *, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()

    def send(self, message: Message) -> Receipt:
        number = international_number(message.to, self.config.country_code)
        if number is None:
            raise SendFailed("no valid mobile number")
        body: dict[str, Any] = {
            "sender": self.config.sender,
            "recipient": number,
            "content": message.short,
            "type": "transactional",
            "unicodeEnabled": needs_unicode(message.short),
        }
        if message.tag:
            body["tag"] = message.tag
        try:
            response = self.session.post(
                f"{self.config.base_url}/v3/transactionalSMS/send",
                json=body,
                headers={"api-key": self.config.api_key, "accept": "application/json"},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise SendFailed(f"Brevo unreachable: {type(error).__name__}") from error
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if response.status_code not in (200, 201, 202):
            code = answer.get("code", "")
            text = answer.get("message", "") or response.reason
            raise SendFailed(f"Brevo refused ({response.status_code} {code}): {text}"[:500])
        return Receipt(ref=str(answer.get("messageId", "")))


class ConsoleSms:
    """Writes each SMS to the log: the laptop's stand-in, like the console
    e-mail backend."""

    channel = "sms"

    def __init__(self, config: SmsConfig) -> None:
        self.config = config

    def send(self, message: Message) -> Receipt:
        number = international_number(message.to, self.config.country_code)
        if number is None:
            raise SendFailed("no valid mobile number")
        log.info("SMS from %s to +%s: %s", self.config.sender, number, message.short)
        return Receipt()


SMS_ADAPTERS: dict[str, Callable[[SmsConfig], Sender]] = {
    "brevo": BrevoSms,
    "console": ConsoleSms,
}
