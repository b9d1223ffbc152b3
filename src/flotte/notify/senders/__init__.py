"""Notification senders: one interface (:class:`~flotte.notify.senders.base.Sender`),
one adapter per channel chosen from the settings, and recording doubles."""

from flotte.notify.senders.base import (
    Message,
    PushTarget,
    Receipt,
    Sender,
    SendFailed,
    available_channels,
    sender_for,
    use_sender,
)

__all__ = [
    "Message",
    "PushTarget",
    "Receipt",
    "SendFailed",
    "Sender",
    "available_channels",
    "sender_for",
    "use_sender",
]
