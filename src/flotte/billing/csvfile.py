"""CSV files as French spreadsheets and accounting software read them: ``;``
between fields, a decimal comma and no thousands separator (``-1234,50``),
dates as ``dd/mm/yyyy``, UTF-8 with a byte-order mark so that Excel shows
accents right, CRLF line ends. Text that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``) is prefixed with an
apostrophe."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

Cell = str | Decimal | dt.date | bool | int | None

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def fr_decimal(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}".replace(".", ",")


def fr_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Decimal):
        return fr_decimal(value)
    if isinstance(value, dt.datetime):
        raise TypeError("give a local date or a text, not a datetime")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int):
        return str(value)
    text = value.replace("\r\n", " ").replace("\n", " ")
    return f"'{text}" if text.startswith(FORMULA_START) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row of {len(row)} cells under {len(header)} headers")
        writer.writerow([fr_cell(cell) for cell in row])
    return (BOM + out.getvalue()).encode("utf-8")
