"""Signed tokens in the links of e-mails: unsubscribing from an
organisation's mailings, answering a trip's survey. Signed with
``SECRET_KEY`` (Django's signing), each with its own salt."""

from __future__ import annotations

from django.core import signing

UNSUBSCRIBE = "flotte.notify.unsubscribe"
SURVEY = "flotte.notify.survey"


def unsubscribe_token(user_id: int, organisation_id: int) -> str:
    """No expiry: an unsubscribe link in an old e-mail must still work."""
    return signing.dumps({"u": user_id, "o": organisation_id}, salt=UNSUBSCRIBE, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE)
        return int(data["u"]), int(data["o"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def survey_token(booking_id: int) -> str:
    return signing.dumps({"b": booking_id}, salt=SURVEY, compress=True)


def read_survey_token(token: str) -> int | None:
    """The booking of a survey link; how long it may be answered is the
    survey's own rule (``survey_answer_days``), checked by the service."""
    try:
        return int(signing.loads(token, salt=SURVEY)["b"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
