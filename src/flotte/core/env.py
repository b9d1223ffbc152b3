"""Strict parsers for settings read from the environment.

Every parser raises ``ImproperlyConfigured`` naming the variable and the bad
value, so that a typo stops the process at start-up instead of running with a
silently different setting.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Env:
    """Reads typed values from a mapping (``os.environ`` by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def text(self, name: str, default: str = "") -> str:
        value = self._raw(name)
        return default if value is None else value

    def flag(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a boolean: use one of {sorted(_TRUE | _FALSE)}"
        )

    def number(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
        return number

    def items(self, name: str, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        items = [item.strip() for item in value.split(",")]
        if any(item == "" for item in items):
            raise ImproperlyConfigured(f"{name}={value!r} has an empty item")
        return items

    def time_zone(self, name: str, default: str) -> str:
        value = self.text(name, default)
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ImproperlyConfigured(f"{name}={value!r} is not a known time zone") from None
        return value

    def url(self, name: str, default: str, *, schemes: set[str]) -> str:
        value = self.text(name, default)
        if value == "":
            return value
        scheme = urlsplit(value).scheme
        if scheme not in schemes:
            raise ImproperlyConfigured(
                f"{name}={_redact(value)!r}: scheme {scheme!r} is not one of {sorted(schemes)}"
            )
        return value


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def database_from_url(url: str, *, base_dir: Path, name: str = "DATABASE_URL") -> dict[str, Any]:
    """Turn ``sqlite:///relative/path``, ``sqlite:////abs/path`` or
    ``postgres://user:pass@host:port/db?sslmode=require`` into a Django
    ``DATABASES`` entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if path == "":
            raise ImproperlyConfigured(f"{name}={url!r} names no database file")
        file = Path(path) if path.startswith("/") or path == ":memory:" else base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(file),
            # Waiting for the write lock beats failing: the booking engine
            # serialises writes with BEGIN IMMEDIATE.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            "TEST": {"NAME": None},
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        database = parts.path.lstrip("/")
        if not database:
            raise ImproperlyConfigured(f"{name}={_redact(url)!r} names no database")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={_redact(url)!r} has a bad port") from None
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        conn_max_age = int(options.pop("conn_max_age", "60"))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(database),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"{name}={_redact(url)!r}: scheme {parts.scheme!r} is not sqlite or postgres"
    )


def email_from_url(url: str, *, name: str = "EMAIL_URL") -> dict[str, Any]:
    """``console://``, ``memory://``, ``file:///path`` or
    ``smtp://user:pass@host:587`` (``smtp+tls://``, ``smtp+ssl://``)."""
    parts = urlsplit(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "memory": "django.core.mail.backends.locmem.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+ssl": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(
            f"{name}={_redact(url)!r}: scheme {parts.scheme!r} is not one of {sorted(backends)}"
        )
    config: dict[str, Any] = {"EMAIL_BACKEND": backends[parts.scheme]}
    if parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured(f"{name}={url!r} names no folder")
        config["EMAIL_FILE_PATH"] = parts.path
    if parts.scheme.startswith("smtp"):
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}={_redact(url)!r} names no host")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={_redact(url)!r} has a bad port") from None
        config.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=port or (465 if parts.scheme == "smtp+ssl" else 587),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_TLS=parts.scheme == "smtp+tls",
            EMAIL_USE_SSL=parts.scheme == "smtp+ssl",
        )
    return config
