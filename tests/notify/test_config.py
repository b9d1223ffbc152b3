"""SMS_URL and the VAPID settings: parsed strictly, a bad value stops the
start with a message naming the variable."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured

from flotte.notify.config import SmsConfig, push_from_env, sms_from_url


def test_no_sms_url_means_no_sms() -> None:
    assert sms_from_url("") is None


def test_a_brevo_url_gives_the_key_the_https_api_and_the_sender() -> None:
    assert sms_from_url("brevo://xkeysib-abc@api.brevo.com?sender=Valence") == SmsConfig(
        "brevo", "xkeysib-abc", "https://api.brevo.com", "Valence", "33"
    )


def test_a_numeric_sender_and_another_country_are_accepted() -> None:
    config = sms_from_url("brevo://k@api.brevo.com?sender=33612345678&country=32")
    assert config is not None
    assert (config.sender, config.country_code) == ("33612345678", "32")


def test_the_console_needs_no_key() -> None:
    assert sms_from_url("console://") == SmsConfig("console")


def test_plain_http_is_for_a_loopback_fake_only() -> None:
    config = sms_from_url("brevo+http://k@127.0.0.1:8025")
    assert config is not None and config.base_url == "http://127.0.0.1:8025"
    with pytest.raises(ImproperlyConfigured, match="local fake only"):
        sms_from_url("brevo+http://k@api.brevo.com")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("twilio://k@api.twilio.com", "scheme 'twilio'"),
        ("brevo://api.brevo.com", "API key before the host"),
        ("brevo://k:secret@api.brevo.com", "API key before the host"),
        ("brevo://k@", "names no host"),
        ("brevo://k@api.brevo.com?sender=Commune%20de%20Valence", "sender="),
        ("brevo://k@api.brevo.com?sender=12", "sender="),
        ("brevo://k@api.brevo.com?from=Valence", "unknown option"),
        ("brevo://k@api.brevo.com?sender=A&sender=B", "given twice"),
        ("brevo://k@api.brevo.com?country=+33", "country="),
        ("brevo://k@api.brevo.com/v3", "no path"),
        ("brevo://k@api.brevo.com:https", "bad port"),
    ],
)
def test_a_bad_sms_url_is_refused_with_the_reason(url: str, why: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="SMS_URL") as error:
        sms_from_url(url)
    assert why in str(error.value)


def test_the_api_key_is_not_shown_in_an_error() -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        sms_from_url("brevo+http://xkeysib-secret@api.brevo.com")
    assert "xkeysib-secret" not in str(error.value)


def raw_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32)
    return key, base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_no_vapid_key_means_no_push() -> None:
    assert push_from_env("", "") is None


def test_a_raw_vapid_key_gives_the_public_key_browsers_subscribe_with() -> None:
    key, text = raw_key()
    config = push_from_env(text, "mailto:ops@example.org")
    assert config is not None
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert base64.urlsafe_b64decode(config.public_key + "=") == public
    assert config.subject == "mailto:ops@example.org"


def test_a_pem_vapid_key_is_accepted_with_escaped_newlines() -> None:
    key, _ = raw_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    config = push_from_env(pem.replace("\n", "\\n"), "https://flotte.example.org/contact")
    assert config is not None and len(base64.urlsafe_b64decode(config.public_key + "=")) == 65


@pytest.mark.parametrize(
    ("key", "subject", "why"),
    [
        ("not-a-key", "mailto:ops@example.org", "VAPID_PRIVATE_KEY is not a P-256"),
        ("AAAA", "mailto:ops@example.org", "VAPID_PRIVATE_KEY is not a P-256"),
        (None, "", "VAPID_SUBJECT must be set"),
        (None, "ops@example.org", "is not a mailto: or https: URL"),
        (None, "http://flotte.example.org", "is not a mailto: or https: URL"),
        ("", "mailto:ops@example.org", "VAPID_SUBJECT is set but VAPID_PRIVATE_KEY is not"),
    ],
)
def test_bad_vapid_settings_are_refused(key: str | None, subject: str, why: str) -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        push_from_env(raw_key()[1] if key is None else key, subject)
    assert why in str(error.value)


def test_a_p384_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with pytest.raises(ImproperlyConfigured, match="P-256"):
        push_from_env(pem, "mailto:ops@example.org")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SMS_URL", "sms://nowhere", "SMS_URL"),
        ("VAPID_PRIVATE_KEY", "nope", "VAPID_PRIVATE_KEY"),
        ("MAILING_BATCH_SIZE", "0", "MAILING_BATCH_SIZE"),
    ],
)
def test_the_platform_does_not_start_with_a_bad_value(
    variable: str, value: str, message: str
) -> None:
    environment = {**os.environ, variable: value, "VAPID_SUBJECT": "mailto:ops@example.org"}
    if variable != "VAPID_PRIVATE_KEY":
        environment.pop("VAPID_SUBJECT")
    done = subprocess.run(
        [sys.executable, "-c", "import flotte.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr
