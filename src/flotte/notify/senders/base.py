"""The one interface of every sender, and the registry that picks the
adapter of each channel from the settings (``EMAIL_URL``, ``SMS_URL``,
``VAPID_PRIVATE_KEY``). Tests swap an adapter with :func:`use_sender`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings

from flotte.notify.config import PushConfig, SmsConfig, push_from_env, sms_from_url


@dataclass(frozen=True)
class PushTarget:
    """One device of the member: the subscription a browser gave."""

    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class Message:
    """What to send, already rendered in the member's language. Each channel
    reads its own fields: e-mail ``to``, ``subject``, ``body``; SMS ``to``
    (a phone number) and ``short``; push ``targets``, ``subject``, ``short``
    and ``url``."""

    channel: str
    to: str
    subject: str
    body: str
    short: str
    url: str = ""
    tag: str = ""
    reply_to: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    targets: tuple[PushTarget, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """A message the provider accepted: its reference there, and for push
    the devices that no longer exist (to forget)."""

    ref: str = ""
    gone: tuple[str, ...] = ()


class SendFailed(Exception):
    """The provider refused or could not be reached; the message says why in
    words an operator can act on (no secret in it)."""

    def __init__(self, message: str, *, gone: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.gone = gone


class Sender(Protocol):
    channel: str

    def send(self, message: Message) -> Receipt:
        """Send one message; raise :class:`SendFailed` when it did not go."""
        ...


_overrides: dict[str, Sender] = {}


def use_sender(channel: str, sender: Sender | None) -> Sender | None:
    """Put ``sender`` in place of the configured one (None: back to the
    settings); returns what was there."""
    previous = _overrides.pop(channel, None)
    if sender is not None:
        _overrides[channel] = sender
    return previous


def _email() -> Sender:
    from flotte.notify.senders.email import EmailSender

    return EmailSender()


def _sms(config: SmsConfig) -> Sender:
    from flotte.notify.senders.sms import SMS_ADAPTERS

    return SMS_ADAPTERS[config.provider](config)


def _push(config: PushConfig) -> Sender:
    from flotte.notify.senders.push import WebPushSender

    return WebPushSender(config)


@functools.lru_cache(maxsize=4)
def _push_config(private_key: str, subject: str) -> PushConfig | None:
    return push_from_env(private_key, subject)


_built: dict[tuple[str, ...], Sender] = {}


def _cached(key: tuple[str, ...], build: Callable[[], Sender]) -> Sender:
    if key not in _built:
        _built[key] = build()
    return _built[key]


def sender_for(channel: str) -> Sender | None:
    """The sender of a channel, or None when the platform does not offer it
    (no ``SMS_URL``, no VAPID key)."""
    if channel in _overrides:
        return _overrides[channel]
    if channel == "email":
        return _cached(("email",), _email)
    if channel == "sms":
        sms = sms_from_url(settings.SMS_URL)
        if sms is None:
            return None
        return _cached(("sms", settings.SMS_URL), lambda: _sms(sms))
    if channel == "push":
        push = _push_config(settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT)
        if push is None:
            return None
        key = ("push", settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT)
        return _cached(key, lambda: _push(push))
    raise ValueError(f"no channel is called {channel!r}")


def available_channels() -> list[str]:
    return [channel for channel in ("email", "sms", "push") if sender_for(channel) is not None]


def push_public_key() -> str:
    """The ``applicationServerKey`` a browser subscribes with ("" without push)."""
    push = _push_config(settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT)
    return push.public_key if push else ""
