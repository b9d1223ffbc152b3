"""Two small pages reached from e-mails without logging in: stopping an
organisation's mailings, and answering a trip's survey. The link's signed
token names the member (or the booking). Their words are here in both
languages, like the notification templates, so that the pages speak the
member's language whatever the browser says."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.dateformat import format as date_format
from django.views.decorators.csrf import csrf_exempt

from flotte.accounts.models import Organisation, User
from flotte.booking.models import Booking
from flotte.core.context import origin
from flotte.core.errors import ServiceError
from flotte.core.middleware import client_ip
from flotte.core.tenancy import cross_tenant
from flotte.notify.preferences import mailing_subscription_set
from flotte.notify.rendering import language_of
from flotte.notify.surveys import survey_answer, survey_booking, survey_refusal
from flotte.notify.tokens import read_unsubscribe_token

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "unsubscribe_title": "Se désabonner",
        "unsubscribe_question": "Ne plus recevoir les messages de {organisation} à {email} ?",
        "unsubscribe_keep": "Vous recevrez toujours les messages liés à vos réservations, "
        "factures et paiements.",
        "unsubscribe_button": "Me désabonner",
        "unsubscribed": "C'est fait : {organisation} ne vous enverra plus de messages groupés.",
        "bad_link": "Ce lien n'est pas valide.",
        "survey_title": "Votre avis sur le trajet",
        "survey_trip": "Trajet du {start} avec {vehicle} ({plate}), station {station}.",
        "rating": "Note globale",
        "cleanliness": "Propreté du véhicule",
        "comment": "Commentaire (facultatif)",
        "survey_button": "Envoyer",
        "survey_thanks": "Merci pour votre réponse.",
        "survey_closed": "Ce questionnaire n'est plus ouvert.",
        "date_format": "l j F Y à H:i",
    },
    "en": {
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_question": "Stop receiving the mailings of {organisation} at {email}?",
        "unsubscribe_keep": "You will still receive the messages about your bookings, invoices "
        "and payments.",
        "unsubscribe_button": "Unsubscribe me",
        "unsubscribed": "Done: {organisation} will send you no more mailings.",
        "bad_link": "This link is not valid.",
        "survey_title": "How was your trip?",
        "survey_trip": "Trip of {start} with {vehicle} ({plate}), station {station}.",
        "rating": "Overall rating",
        "cleanliness": "Cleanliness of the vehicle",
        "comment": "Comment (optional)",
        "survey_button": "Send",
        "survey_thanks": "Thank you for your answer.",
        "survey_closed": "This survey is closed.",
        "date_format": "l j F Y, H:i",
    },
}


def _page(
    request: HttpRequest, language: str, template: str, status: int = 200, **context: Any
) -> HttpResponse:
    with translation.override(language):
        return render(
            request,
            f"notify/pages/{template}.html",
            {"t": TEXTS[language], "language": language, **context},
            status=status,
        )


@csrf_exempt  # the token is the credential; mail clients post here (RFC 8058)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (a link scanner must not unsubscribe
    anyone); POST unsubscribes, from the page or a mail client's one click."""
    language = language_of(translation.get_language() or "fr")
    found = read_unsubscribe_token(token)
    with cross_tenant("an unsubscribe link names its member and organisation"):
        user = User.objects.filter(pk=found[0]).first() if found else None
        organisation = Organisation.objects.filter(pk=found[1]).first() if found else None
    if user is None or organisation is None:
        return _page(request, language, "message", 404, message=TEXTS[language]["bad_link"])
    language = language_of(user.language)
    names = {"organisation": organisation.name, "email": user.email}
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        with origin("web", client_ip(request)):
            mailing_subscription_set(
                user=user,
                organisation=organisation,
                subscribed=False,
                source="one_click" if one_click else "link",
            )
        text = TEXTS[language]["unsubscribed"].format(**names)
        return _page(request, language, "message", message=text)
    return _page(
        request,
        language,
        "unsubscribe",
        question=TEXTS[language]["unsubscribe_question"].format(**names),
    )


def survey(request: HttpRequest, token: str) -> HttpResponse:
    language = language_of(translation.get_language() or "fr")
    try:
        booking = survey_booking(token)
    except ServiceError:
        return _page(request, language, "message", 404, message=TEXTS[language]["bad_link"])
    member = booking.member
    language = language_of(member.language)
    texts = TEXTS[language]
    with cross_tenant("a survey link answers for its own booking"):
        refusal = survey_refusal(booking, member)
        if refusal is not None:
            return _page(request, language, "message", 409, message=texts["survey_closed"])
        error = ""
        if request.method == "POST":
            try:
                with origin("web", client_ip(request)):
                    survey_answer(
                        user=member,
                        booking=booking,
                        rating=_int(request.POST.get("rating")),
                        cleanliness=_int(request.POST.get("cleanliness")),
                        comment=request.POST.get("comment", ""),
                    )
                return _page(request, language, "message", message=texts["survey_thanks"])
            except ServiceError as failure:
                error = failure.message
    return _page(
        request,
        language,
        "survey",
        400 if error else 200,
        trip=_trip(booking, language),
        error=error,
        scores=range(1, 6),
    )


def _trip(booking: Booking, language: str) -> str:
    vehicle = booking.vehicle
    zone = zoneinfo.ZoneInfo(booking.organisation.time_zone)
    with translation.override(language):
        start = date_format(booking.start.astimezone(zone), TEXTS[language]["date_format"])
    return TEXTS[language]["survey_trip"].format(
        start=start,
        vehicle=f"{vehicle.make} {vehicle.model}",
        plate=vehicle.plate,
        station=vehicle.home_station.name,
    )


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0
