"""E-mail through Django's mail (``EMAIL_URL``): works out of the box, on
the console of a laptop."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage, get_connection

from flotte.notify.senders.base import Message, Receipt, SendFailed


def _email(message: Message) -> EmailMessage:
    return EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.to],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=message.headers or None,
    )


class EmailSender:
    channel = "email"

    def send(self, message: Message) -> Receipt:
        if not message.to:
            raise SendFailed("no e-mail address")
        try:
            _email(message).send()
        except Exception as error:  # SMTP, DNS, socket: all mean "not sent"
            raise SendFailed(f"{type(error).__name__}: {error}") from error
        return Receipt()

    def send_many(self, messages: Sequence[Message]) -> list[Receipt | SendFailed]:
        """Several e-mails over one connection (a mailing's batch): each one's
        outcome, in order."""
        outcomes: list[Receipt | SendFailed] = []
        try:
            connection = get_connection()
            connection.open()
        except Exception as error:
            return [SendFailed(f"{type(error).__name__}: {error}") for _ in messages]
        try:
            for message in messages:
                try:
                    connection.send_messages([_email(message)])
                    outcomes.append(Receipt())
                except Exception as error:
                    outcomes.append(SendFailed(f"{type(error).__name__}: {error}"))
        finally:
            connection.close()
        return outcomes
