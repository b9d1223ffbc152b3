"""Strict parsers for the notification senders' settings: ``SMS_URL`` and
the VAPID key of Web Push. Imported by ``settings.py``, so a bad value stops
the process at start-up with a message naming the variable."""

from __future__ import annotations

import base64
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# Brevo: an alphanumeric sender of at most 11 characters, or a number of at
# most 15 digits (their API reference, sendTransacSms.sender).
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")
_NUMERIC_SENDER = re.compile(r"^[0-9]{3,15}$")
_COUNTRY_CODE = re.compile(r"^[1-9][0-9]{0,2}$")
SMS_PROVIDERS = ("brevo", "console")


@dataclass(frozen=True)
class SmsConfig:
    """Where and how SMS go out. ``provider`` names the adapter."""

    provider: str
    api_key: str = ""
    base_url: str = ""
    sender: str = "Flotte"
    country_code: str = "33"


def _redact(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sms_from_url(url: str, *, name: str = "SMS_URL") -> SmsConfig | None:
    """``""`` (no SMS), ``console://?sender=Flotte`` (written to the log), or
    ``brevo://API_KEY@api.brevo.com?sender=Flotte`` (Brevo's transactional
    SMS API over HTTPS). ``brevo+http://`` is accepted for a loopback host
    only: a local fake in the tests, never the key in clear on a network.
    Options: ``sender`` (the name shown on the phone) and ``country`` (the
    calling code put in front of national numbers, 33 by default)."""
    if url == "":
        return None
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme not in {"brevo", "brevo+http", "console"}:
        raise ImproperlyConfigured(
            f"{name}={_redact(url)!r}: scheme {scheme!r} is not brevo, brevo+http or console"
        )
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(options) - {"sender", "country"})
    if unknown:
        raise ImproperlyConfigured(f"{name}: unknown option(s) {', '.join(unknown)}")
    if any(len(values) > 1 for values in options.values()):
        raise ImproperlyConfigured(f"{name}: an option is given twice")
    sender = options.get("sender", ["Flotte"])[0]
    if not (_ALPHANUMERIC_SENDER.match(sender) or _NUMERIC_SENDER.match(sender)):
        raise ImproperlyConfigured(
            f"{name}: sender={sender!r} must be 1 to 11 letters and digits, or 3 to 15 digits"
        )
    country = options.get("country", ["33"])[0]
    if not _COUNTRY_CODE.match(country):
        raise ImproperlyConfigured(f"{name}: country={country!r} is not a calling code like 33")
    if parts.path not in {"", "/"}:
        raise ImproperlyConfigured(f"{name}={_redact(url)!r}: no path is expected")
    if scheme == "console":
        return SmsConfig("console", sender=sender, country_code=country)
    host = parts.hostname or ""
    if not host:
        raise ImproperlyConfigured(f"{name}={_redact(url)!r} names no host (api.brevo.com)")
    api_key = unquote(parts.username or "")
    if not api_key or parts.password is not None:
        raise ImproperlyConfigured(
            f"{name}={_redact(url)!r}: put the API key before the host: brevo://KEY@{host}"
        )
    if scheme == "brevo+http" and not is_loopback(host):
        raise ImproperlyConfigured(
            f"{name}: brevo+http:// is for a local fake only; use brevo:// (HTTPS) for {host}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}={_redact(url)!r} has a bad port") from None
    web_scheme = "http" if scheme == "brevo+http" else "https"
    base_url = f"{web_scheme}://{host}" + (f":{port}" if port else "")
    return SmsConfig("brevo", api_key, base_url, sender, country)


@dataclass(frozen=True)
class PushConfig:
    """The VAPID identity of the platform: the private key signs each push,
    the public key is the ``applicationServerKey`` browsers subscribe with,
    the subject is how a push service reaches the operator."""

    private_key_pem: bytes
    public_key: str
    subject: str


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def push_from_env(
    private_key: str,
    subject: str,
    *,
    key_name: str = "VAPID_PRIVATE_KEY",
    subject_name: str = "VAPID_SUBJECT",
) -> PushConfig | None:
    """No key: no push. Otherwise the key is a P-256 private key, either as
    the base64url of its 32 raw bytes (what ``vapid --gen`` and most tools
    print) or as PEM; and the subject is a ``mailto:`` or ``https:`` URL."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if private_key == "":
        if subject:
            raise ImproperlyConfigured(f"{subject_name} is set but {key_name} is not")
        return None
    key: ec.EllipticCurvePrivateKey
    try:
        if "BEGIN" in private_key:
            loaded = serialization.load_pem_private_key(
                private_key.replace("\\n", "\n").encode(), password=None
            )
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise ValueError("not an elliptic-curve key")
            key = loaded
        else:
            raw = _b64url_decode(private_key)
            if len(raw) != 32:
                raise ValueError("not 32 bytes")
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"{key_name} is not a P-256 private key (base64url of 32 bytes, or PEM): {error}"
        ) from None
    if not isinstance(key.curve, ec.SECP256R1):
        raise ImproperlyConfigured(f"{key_name} must be a key on the P-256 curve")
    if not subject:
        raise ImproperlyConfigured(
            f"{subject_name} must be set with {key_name}: mailto:ops@example.org or an https URL"
        )
    if not (re.match(r"^mailto:[^@\s]+@[^@\s]+$", subject) or re.match(r"^https://\S+$", subject)):
        raise ImproperlyConfigured(f"{subject_name}={subject!r} is not a mailto: or https: URL")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return PushConfig(pem, base64.urlsafe_b64encode(public).rstrip(b"=").decode(), subject)
