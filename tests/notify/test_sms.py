"""The Brevo SMS adapter, against a local fake of Brevo's API on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flotte.core import clock
from flotte.notify.config import sms_from_url
from flotte.notify.models import NotificationPreference
from flotte.notify.senders import Message, SendFailed, sender_for
from flotte.notify.senders.sms import BrevoSms, ConsoleSms, international_number, needs_unicode
from flotte.notify.services import notify
from tests.conftest import Tenant
from tests.notify.conftest import rows
from tests.notify.fakes import FakeBrevo
from tests.notify.test_notify import CONTEXT


@pytest.fixture
def brevo(settings: Any) -> Iterator[FakeBrevo]:
    fake = FakeBrevo()
    address = fake.start()
    settings.SMS_URL = f"brevo+http://{fake.api_key}@{address}?sender=Valence"
    yield fake
    fake.stop()


def sms(text: str, to: str = "06 12 34 56 78") -> Message:
    return Message(channel="sms", to=to, subject="", body="", short=text, tag="booking_reminder")


def test_the_settings_choose_brevo(brevo: FakeBrevo) -> None:
    assert isinstance(sender_for("sms"), BrevoSms)


def test_an_sms_is_posted_as_brevo_documents_it(brevo: FakeBrevo) -> None:
    receipt = sender_for("sms").send(sms("Rappel : AB-123-CD à 09:30"))  # type: ignore[union-attr]
    [request] = brevo.received
    assert request.path == "/v3/transactionalSMS/send"
    assert request.headers["api-key"] == "xkeysib-test"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "sender": "Valence",
        "recipient": "33612345678",
        "content": "Rappel : AB-123-CD à 09:30",
        "type": "transactional",
        "unicodeEnabled": False,
        "tag": "booking_reminder",
    }
    assert receipt.ref == "1511882900176220"


def test_a_text_outside_the_gsm_alphabet_is_sent_as_unicode(brevo: FakeBrevo) -> None:
    sender_for("sms").send(sms("Votre véhicule est prêt"))  # type: ignore[union-attr]
    assert brevo.messages[0]["unicodeEnabled"] is True


def test_a_refusal_says_brevos_code_and_message(brevo: FakeBrevo) -> None:
    brevo.refuse_with = (402, "not_enough_credits", "Not enough credits")
    with pytest.raises(SendFailed) as failure:
        sender_for("sms").send(sms("x"))  # type: ignore[union-attr]
    assert str(failure.value) == "Brevo refused (402 not_enough_credits): Not enough credits"


def test_a_wrong_key_is_refused(brevo: FakeBrevo, settings: Any) -> None:
    address = settings.SMS_URL.split("@")[1]
    settings.SMS_URL = f"brevo+http://wrong-key@{address}"
    with pytest.raises(SendFailed, match="401 unauthorized"):
        sender_for("sms").send(sms("x"))  # type: ignore[union-attr]


def test_an_unreachable_brevo_fails_without_the_key(settings: Any) -> None:
    fake = FakeBrevo()
    address = fake.start()
    fake.stop()  # nobody listens there any more
    sender = BrevoSms(sms_from_url(f"brevo+http://secret-key@{address}"))  # type: ignore[arg-type]
    with pytest.raises(SendFailed) as failure:
        sender.send(sms("x"))
    assert "unreachable" in str(failure.value)
    assert "secret-key" not in str(failure.value)


def test_a_member_without_a_valid_number_fails_before_any_request(brevo: FakeBrevo) -> None:
    with pytest.raises(SendFailed, match="no valid mobile number"):
        sender_for("sms").send(sms("x", to="ask at the desk"))  # type: ignore[union-attr]
    assert brevo.received == []


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("06 12 34 56 78", "33612345678"),
        ("06.12.34.56.78", "33612345678"),
        ("+33 6 12 34 56 78", "33612345678"),
        ("0033612345678", "33612345678"),
        ("+44 7700 900123", "447700900123"),
        ("", None),
        ("06 12", None),
        ("call me", None),
    ],
)
def test_numbers_are_written_internationally(raw: str, number: str | None) -> None:
    assert international_number(raw, "33") == number


def test_a_national_number_takes_the_configured_country_code() -> None:
    assert international_number("0470 12 34 56", "32") == "32470123456"


def test_gsm_accents_do_not_need_unicode() -> None:
    assert not needs_unicode("Réservation confirmée à la gare, 5 €")
    assert needs_unicode("Réservation prête ✓")


def test_a_member_gets_the_sms_of_an_event_end_to_end(
    alice: Tenant, brevo: FakeBrevo, delivered: Any
) -> None:
    alice.member.phone = "06 12 34 56 78"
    alice.member.save()
    NotificationPreference.objects.create(
        user=alice.member, event="booking_reminder", email=False, sms=True, updated_at=clock.now()
    )
    with delivered():
        notify("booking_reminder", alice.member, alice.organisation, CONTEXT)
    [row] = rows(alice.member)
    assert (row.channel, row.state, row.provider_ref) == ("sms", "sent", "1511882900176220")
    [message] = brevo.messages
    assert message["recipient"] == "33612345678"
    assert "AB-123-CD" in message["content"]


def test_the_console_adapter_logs_the_sms(caplog: Any) -> None:
    config = sms_from_url("console://?sender=Flotte")
    assert config is not None
    with caplog.at_level("INFO"):
        ConsoleSms(config).send(sms("Bonjour"))
    assert "+33612345678: Bonjour" in caplog.text
