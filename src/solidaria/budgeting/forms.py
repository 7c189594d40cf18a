"""Forms parse input only; every rule is checked in services (and the engine)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from solidaria.budgeting.models import (
    BallotType,
    Completion,
    Electorate,
    Process,
    Project,
    ProjectStatus,
    Rule,
)
from solidaria.core.models import Visibility
from solidaria.core.money import AmountError, parse_minor

MAX_IMPORT_BYTES = 20 * 1024 * 1024
RULE_PARAMETERS: dict[str, str] = {
    "min_project_score_threshold": Rule.GREEDY_THRESHOLD,
    "utility": Rule.MES,
}
"""The keys a process's rule parameters accept, and the rule that uses each."""


class ProcessForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(label=_("Short name (optional)"), max_length=80, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    currency = forms.CharField(label=_("Currency"), max_length=8, initial="EUR")
    currency_exponent = forms.IntegerField(
        label=_("Decimal places of the currency"), min_value=0, max_value=4, initial=0
    )
    budget = forms.CharField(label=_("Budget"), help_text=_("In the currency, e.g. 100000"))
    electorate = forms.ChoiceField(label=_("Who votes"), choices=Electorate.choices)
    visibility = forms.ChoiceField(
        label=_("Who can read it"),
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        required=False,
        help_text=_(
            "Public: anyone can read the process and its published result without logging in."
        ),
    )
    ballot_type = forms.ChoiceField(label=_("Ballot type"), choices=BallotType.choices)
    min_length = forms.IntegerField(label=_("Minimum projects"), min_value=0, required=False)
    max_length = forms.IntegerField(label=_("Maximum projects"), min_value=0, required=False)
    max_sum_cost = forms.CharField(label=_("Maximum total cost of a ballot"), required=False)
    max_points = forms.IntegerField(
        label=_("Maximum points per project"), min_value=1, required=False
    )
    max_sum_points = forms.IntegerField(label=_("Total points"), min_value=1, required=False)
    rule = forms.ChoiceField(label=_("Counting rule"), choices=Rule.choices, initial=Rule.MES)
    completion = forms.ChoiceField(
        label=_("MES completion"), choices=Completion.choices, initial=Completion.ADD1
    )
    rule_parameters = forms.CharField(
        label=_("Rule parameters (JSON)"),
        required=False,
        initial="{}",
        help_text=_(
            "A JSON object; {} when the rule needs nothing. Greedy with a support threshold "
            "needs the least support a funded project must have, for example "
            '{"min_project_score_threshold": 50}. The Method of Equal Shares may take '
            '{"utility": "cost"} (the default: a voter values a project by its cost) or '
            '{"utility": "approval"} (every approved project counts the same). The other '
            "rules (greedy by votes, greedy that stops at the first project that does not "
            "fit, sequential Phragmén) take no parameters: {}."
        ),
    )
    submission_ends = forms.DateTimeField(label=_("Submission ends"), required=False)
    voting_starts = forms.DateTimeField(label=_("Voting starts"), required=False)
    voting_ends = forms.DateTimeField(label=_("Voting ends"), required=False)

    def _amount(self, name: str) -> int | None:
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            return parse_minor(raw, exponent=int(self.cleaned_data.get("currency_exponent") or 0))
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_visibility(self) -> str:
        return self.cleaned_data.get("visibility") or Visibility.PUBLIC

    def clean_budget(self) -> int:
        value = self._amount("budget")
        if value is None:
            raise forms.ValidationError(_("Give a budget."))
        return value

    def clean_max_sum_cost(self) -> int | None:
        return self._amount("max_sum_cost")

    def clean_rule_parameters(self) -> dict[str, Any]:
        raw = (self.cleaned_data.get("rule_parameters") or "").strip() or "{}"
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON.")) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give a JSON object."))
        for key in value:
            if key not in RULE_PARAMETERS:
                raise forms.ValidationError(
                    _(
                        "“%(key)s” is not a rule parameter. The parameters are "
                        "min_project_score_threshold (greedy with a support threshold) and "
                        "utility (Method of Equal Shares)."
                    )
                    % {"key": key}
                )
        threshold = value.get("min_project_score_threshold")
        if "min_project_score_threshold" in value and (
            isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0
        ):
            raise forms.ValidationError(
                _(
                    "“min_project_score_threshold” must be a whole number of at least 0, "
                    'without quotes, for example {"min_project_score_threshold": 50}.'
                )
            )
        if "utility" in value and value["utility"] not in ("cost", "approval"):
            raise forms.ValidationError(
                _('“utility” must be "cost" or "approval", for example {"utility": "approval"}.')
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        rule, parameters = data.get("rule"), data.get("rule_parameters")
        if rule is None or not isinstance(parameters, dict):
            return data
        for key in parameters:
            if rule != RULE_PARAMETERS[key]:
                self.add_error(
                    "rule_parameters",
                    _(
                        "“%(key)s” is used only by the rule “%(used)s”, not by “%(rule)s”: "
                        "remove it or choose that rule."
                    )
                    % {
                        "key": key,
                        "used": Rule(RULE_PARAMETERS[key]).label,
                        "rule": Rule(rule).label,
                    },
                )
        if rule == Rule.GREEDY_THRESHOLD and "min_project_score_threshold" not in parameters:
            self.add_error(
                "rule_parameters",
                _(
                    "Greedy with a support threshold needs “min_project_score_threshold”, "
                    'for example {"min_project_score_threshold": 50}.'
                ),
            )
        return data


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    cost = forms.CharField(label=_("Estimated cost"))
    category = forms.CharField(label=_("Category"), max_length=200, required=False)
    district = forms.CharField(label=_("District or place"), max_length=200, required=False)

    def __init__(self, *args: Any, process: Process, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.process = process
        self.fields["cost"].help_text = _("In %(currency)s") % {"currency": process.currency}

    def clean_cost(self) -> int:
        try:
            return parse_minor(self.cleaned_data["cost"], exponent=self.process.currency_exponent)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ProjectStatus.FEASIBLE, _("feasible")),
            (ProjectStatus.REJECTED, _("rejected")),
        ],
    )
    cost = forms.CharField(label=_("Cost set by the review"), required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_cost(self) -> int | None:
        raw = (self.cleaned_data.get("cost") or "").strip()
        if not raw:
            return None
        try:
            return parse_minor(raw, exponent=self.project.process.currency_exponent)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from exc


class CodesForm(forms.Form):
    count = forms.IntegerField(label=_("How many codes"), min_value=1, max_value=100_000)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Pabulib file (.pb)"), allow_empty_file=True)
    title = forms.CharField(label=_("Title (optional)"), max_length=200, required=False)
    slug = forms.SlugField(label=_("Short name (optional)"), max_length=80, required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


def ballot_from_post(
    process: Process, post: Any, projects: list[Project]
) -> tuple[list[str], list[int]]:
    """Read the ballot form: checkboxes (approval), a radio (choose-1), points (cumulative)
    or ranks (ordinal). Returns project codes and, for cumulative ballots, their points.
    Malformed numbers are passed on as invalid choices for the service to refuse."""
    by_id = {str(p.pk): p for p in projects}
    if process.ballot_type == BallotType.APPROVAL:
        return [by_id[i].code for i in post.getlist("project") if i in by_id], []
    if process.ballot_type == BallotType.CHOOSE_1:
        chosen = post.get("project", "")
        return ([by_id[chosen].code] if chosen in by_id else []), []
    if process.ballot_type == BallotType.CUMULATIVE:
        codes, points = [], []
        for p in projects:
            raw = (post.get(f"points-{p.pk}") or "").strip()
            if raw and raw != "0":
                codes.append(p.code)
                points.append(int(raw) if raw.lstrip("-").isdigit() else -1)
        return codes, points
    ranked: list[tuple[int, str]] = []
    for p in projects:
        raw = (post.get(f"rank-{p.pk}") or "").strip()
        if raw:
            ranked.append((int(raw) if raw.isdigit() else 0, p.code))
    ranked.sort()
    ranks = [r for r, _code in ranked]
    if ranks != list(range(1, len(ranks) + 1)):
        raise forms.ValidationError(_("Number the projects you rank 1, 2, 3 … without gaps."))
    return [code for _r, code in ranked], []
