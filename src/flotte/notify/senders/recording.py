"""Test doubles: senders that keep what they would send, one per channel,
and can be told to fail. ``use_sender(channel, RecordingSender(channel))``
puts one in place of the configured adapter."""

from __future__ import annotations

from flotte.notify.senders.base import Message, Receipt, SendFailed


class RecordingSender:
    def __init__(self, channel: str, *, fail_with: str = "") -> None:
        self.channel = channel
        self.fail_with = fail_with
        self.sent: list[Message] = []

    def send(self, message: Message) -> Receipt:
        if message.channel != self.channel:
            raise AssertionError(f"a {message.channel} message reached the {self.channel} sender")
        if self.fail_with:
            raise SendFailed(self.fail_with)
        self.sent.append(message)
        return Receipt(ref=f"{self.channel}-{len(self.sent)}")

    def to(self, address: str) -> list[Message]:
        return [message for message in self.sent if message.to == address]


def recording_senders() -> dict[str, RecordingSender]:
    return {channel: RecordingSender(channel) for channel in ("email", "sms", "push")}
