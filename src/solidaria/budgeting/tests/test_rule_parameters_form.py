"""The process form's rule parameters (JSON): a help text with the keys and an example per
rule, and an error that names the key when one is wrong."""

from __future__ import annotations

import pytest
from django.utils import translation

from solidaria.budgeting.forms import ProcessForm


def _form(rule: str, parameters: str) -> ProcessForm:
    return ProcessForm(
        {
            "title": "Park money",
            "currency": "EUR",
            "currency_exponent": "0",
            "budget": "100",
            "electorate": "members",
            "ballot_type": "approval",
            "rule": rule,
            "completion": "none",
            "rule_parameters": parameters,
        }
    )


@pytest.mark.parametrize(
    ("rule", "parameters"),
    [
        ("greedy", "{}"),
        ("greedy", ""),
        ("greedy-threshold", '{"min_project_score_threshold": 50}'),
        ("greedy-threshold", '{"min_project_score_threshold": 0}'),
        ("mes", '{"utility": "approval"}'),
        ("mes", '{"utility": "cost"}'),
        ("phragmen", "{}"),
        ("greedy-no-skip", "{}"),
    ],
)
def test_the_documented_parameters_are_accepted(rule, parameters):
    form = _form(rule, parameters)
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("rule", "parameters", "named"),
    [
        ("greedy", '{"min_score": 5}', "“min_score” is not a rule parameter"),
        ("greedy-threshold", '{"min_project_score_threshold": "50"}', "whole number"),
        ("greedy-threshold", '{"min_project_score_threshold": -1}', "whole number"),
        ("greedy-threshold", '{"min_project_score_threshold": true}', "whole number"),
        ("greedy-threshold", '{"min_project_score_threshold": 2.5}', "whole number"),
        ("greedy-threshold", "{}", "needs “min_project_score_threshold”"),
        ("mes", '{"utility": "votes"}', '“utility” must be "cost" or "approval"'),
        ("greedy", '{"min_project_score_threshold": 5}', "used only by the rule"),
        ("phragmen", '{"utility": "approval"}', "used only by the rule"),
        ("mes", "[1, 2]", "Give a JSON object."),
        ("mes", "{utility: cost}", "Not valid JSON."),
    ],
)
def test_a_wrong_parameter_is_named(rule, parameters, named):
    form = _form(rule, parameters)
    assert not form.is_valid()
    assert any(named in error for error in form.errors["rule_parameters"]), form.errors


def test_help_text_names_the_keys_with_an_example_per_rule():
    help_text = str(ProcessForm().fields["rule_parameters"].help_text)
    for text in ('{"min_project_score_threshold": 50}', '{"utility": "approval"}', "{}"):
        assert text in help_text
    with translation.override("es"):
        spanish = str(ProcessForm().fields["rule_parameters"].help_text)
    assert '{"min_project_score_threshold": 50}' in spanish  # the keys stay as they are
