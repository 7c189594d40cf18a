"""The bylaws form says which keys BYLAWS.json takes, with an example, and names the key
that is wrong in a translated sentence."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from solidaria.governance.forms import BYLAWS_EXAMPLE, BylawsForm


def _form(data: dict | str) -> BylawsForm:
    text = data if isinstance(data, str) else json.dumps(data)
    return BylawsForm({"effective_from": "2026-01-01", "data": text})


def test_the_example_in_the_help_text_is_valid():
    form = _form(BYLAWS_EXAMPLE)
    assert form.is_valid(), form.errors
    help_text = str(form.fields["data"].help_text)
    assert BYLAWS_EXAMPLE in help_text
    for key in ("patronage_basis", "mixed_weights", "acceptance", "assembly_quorum"):
        assert key in help_text


def test_the_help_text_follows_the_language():
    with translation.override("en"):
        english = str(BylawsForm().fields["data"].help_text)
    assert english.startswith("A JSON object.")
    assert BYLAWS_EXAMPLE in english


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"reserve": "30"}, "“reserve” is not a bylaws key; the keys are "),
        ({"cash": None}, "“cash” is missing"),
        ({"cash": 30.5}, "“cash” is wrong:"),
        ({"patronage_basis": "votes"}, "“patronage_basis” is wrong:"),
    ],
)
def test_a_wrong_key_is_named(change, named):
    data = json.loads(BYLAWS_EXAMPLE)
    for key, value in change.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    form = _form(data)
    assert not form.is_valid()
    assert any(named in error for error in form.errors["data"]), form.errors
