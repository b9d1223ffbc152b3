"""A notification's values, kept as JSON in its row until a task renders it:
dates and datetimes are tagged so that the templates get them back as such
and format them in the member's language and the organisation's time zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

Value = str | int | bool | Decimal | dt.date | dt.datetime | None


def encode(context: dict[str, Value]) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    for name, value in context.items():
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError(f"{name}: a naive datetime cannot be told to anyone")
            encoded[name] = {"$datetime": value.astimezone(dt.UTC).isoformat()}
        elif isinstance(value, dt.date):
            encoded[name] = {"$date": value.isoformat()}
        elif isinstance(value, Decimal):
            encoded[name] = {"$decimal": str(value)}
        elif value is None or isinstance(value, str | int | bool):
            encoded[name] = value
        else:
            raise TypeError(f"{name}: a notification takes plain values, not {type(value)}")
    return encoded


def decode(stored: dict[str, Any]) -> dict[str, Value]:
    decoded: dict[str, Value] = {}
    for name, value in stored.items():
        if isinstance(value, dict) and "$datetime" in value:
            decoded[name] = dt.datetime.fromisoformat(value["$datetime"])
        elif isinstance(value, dict) and "$date" in value:
            decoded[name] = dt.date.fromisoformat(value["$date"])
        elif isinstance(value, dict) and "$decimal" in value:
            decoded[name] = Decimal(value["$decimal"])
        else:
            decoded[name] = value
    return decoded
