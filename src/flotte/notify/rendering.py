"""Renders an event's templates in one language.

The templates are plain text (no HTML escaping: an apostrophe stays an
apostrophe), one file per part and language, so that both languages are
written out in full and the tests can hold them complete."""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context, Engine
from django.template.exceptions import TemplateDoesNotExist
from django.utils import timezone, translation

from flotte.notify.events import PARTS

MISSING = "<<missing:%s>>"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    short: str


@functools.cache
def _engine(strict: bool) -> Engine:
    return Engine(
        app_dirs=True,
        autoescape=False,
        string_if_invalid=MISSING if strict else "",
    )


def languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def language_of(code: str) -> str:
    """The member's language if the platform speaks it, else the default."""
    available = languages()
    return code if code in available else settings.LANGUAGE_CODE


def template_name(event: str, part: str, language: str) -> str:
    return f"notify/{event}/{part}.{language}.txt"


def render_part(
    event: str, part: str, language: str, context: dict[str, Any], *, strict: bool = False
) -> str:
    template = _engine(strict).get_template(template_name(event, part, language))
    return template.render(Context(context, autoescape=False))


def render(
    event: str,
    language: str,
    context: dict[str, Any],
    *,
    time_zone: str,
    strict: bool = False,
) -> Rendered:
    """Subject (one line), body and short text (one paragraph) of an event,
    with dates in ``time_zone`` and words in ``language``."""
    language = language_of(language)
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(time_zone)):
        parts = {part: render_part(event, part, language, context, strict=strict) for part in PARTS}
    return Rendered(
        subject=" ".join(parts["subject"].split())[:300],
        body=squash_blank_lines(parts["body"].strip()) + "\n",
        short=" ".join(parts["short"].split()),
    )


def missing_templates(event: str) -> list[str]:
    """The template files an event lacks, for the tests and ``flotte check``."""
    missing = []
    for language in languages():
        for part in PARTS:
            name = template_name(event, part, language)
            try:
                _engine(False).get_template(name)
            except TemplateDoesNotExist:
                missing.append(name)
    return missing


def squash_blank_lines(text: str) -> str:
    """Conditional blocks leave blank lines behind: keep one at most."""
    return re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", text)
