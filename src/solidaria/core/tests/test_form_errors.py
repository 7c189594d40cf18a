"""A correctable error lands next to the field it names, or above the form when the form
has no such field."""

from __future__ import annotations

from django import forms

from solidaria.core.errors import Conflict, ValidationFailed, show_on_form


class _Form(forms.Form):
    amount = forms.IntegerField()


def _bound() -> _Form:
    form = _Form(data={"amount": "3"})
    assert form.is_valid()
    return form


def test_an_error_on_a_field_of_the_form_is_shown_next_to_it() -> None:
    form = _bound()

    show_on_form(form, ValidationFailed("Too much.", field="amount"))

    assert form.errors == {"amount": ["Too much."]}


def test_an_error_on_a_field_the_form_lacks_is_shown_above_the_form() -> None:
    form = _bound()

    show_on_form(form, ValidationFailed("No such account.", field="account_id"))

    assert form.errors == {"__all__": ["No such account."]}
    assert form.non_field_errors() == ["No such account."]


def test_an_error_without_a_field_is_shown_above_the_form() -> None:
    form = _bound()

    show_on_form(form, Conflict("Someone else changed it."))

    assert form.non_field_errors() == ["Someone else changed it."]
