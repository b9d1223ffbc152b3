from __future__ import annotations

from django import forms
from django.utils import translation

from flotte.core.errors import ServiceError, ValidationFailed
from flotte.web.errors import add_to_form, explain


def test_a_known_code_is_worded_with_its_figures() -> None:
    error = ValidationFailed(
        "a booking lasts at most 3 hours", code="too_long", figures={"hours": 3}
    )
    with translation.override("fr"):
        assert explain(error) == "Une réservation dure au plus 3 heures."
    with translation.override("en"):
        assert explain(error) == "A booking lasts at most 3 hours."


def test_an_unknown_code_or_missing_figures_fall_back_on_the_service_message() -> None:
    assert explain(ServiceError("something new", code="brand_new")) == "something new"
    assert explain(ValidationFailed("at most 3 hours", code="too_long")) == "at most 3 hours"


class TimesForm(forms.Form):
    start = forms.CharField()
    end = forms.CharField()


def test_an_error_goes_on_the_field_it_names_else_above_the_form() -> None:
    form = TimesForm({"start": "a", "end": "b"})
    assert form.is_valid()
    with translation.override("en"):
        add_to_form(form, ValidationFailed("x", code="bad_times", fields={"end": "before"}))
        add_to_form(form, ValidationFailed("y", code="vehicle_taken"))
    assert form.errors["end"] == ["A booking ends after it starts."]
    assert form.non_field_errors() == ["This vehicle is already booked at that time."]


def test_a_refused_parameter_value_is_worded_rule_by_rule() -> None:
    from flotte.accounts.parameters import get_parameter

    minutes = get_parameter("booking_lead_time_min")
    errors = []
    for raw in ("-5", "soon"):
        try:
            minutes.clean(raw)
        except ValidationFailed as error:
            errors.append(error)
    assert [e.figures["rule"] for e in errors] == ["minimum", "whole"]
    with translation.override("fr"):
        assert explain(errors[0]) == f"La valeur doit être au moins {minutes.minimum}."
        assert explain(errors[1]) == "Donnez un nombre entier."
    with translation.override("en"):
        assert explain(errors[0]) == f"The value must be at least {minutes.minimum}."
    level = ValidationFailed(
        "x", code="invalid_level", figures={"level": "vehicle", "allowed": "organisation"}
    )
    with translation.override("en"):
        assert explain(level).startswith("This parameter cannot be set per vehicle")
