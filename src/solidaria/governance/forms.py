"""Forms for governance pages; they parse input, services decide."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import Visibility
from solidaria.core.money import AmountError, parse_minor
from solidaria.governance.engine.bylaws import BYLAWS_KEYS, BylawsError, bylaws_from_dict
from solidaria.governance.engine.decisions import Base, Comparison, TieRule
from solidaria.governance.models import MemberClass, Poll, ShareType
from solidaria.governance.services import PatronageRow


class ApplyForm(forms.Form):
    member_class = forms.ModelChoiceField(queryset=MemberClass.objects.none(), label=_("class"))
    motivation = forms.CharField(
        label=_("Why do you want to join?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args: Any, coop: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member_class"].queryset = coop.classes.all()  # type: ignore[attr-defined]


class ShareForm(forms.Form):
    OPERATIONS = [
        ("subscribe", _("subscription")),
        ("transfer", _("transfer to another member")),
        ("redeem", _("redemption")),
    ]
    operation = forms.ChoiceField(label=_("operation"), choices=OPERATIONS)
    member = forms.CharField(label=_("member (user name)"), max_length=150)
    buyer = forms.CharField(label=_("buyer, for a transfer"), max_length=150, required=False)
    share_type = forms.ModelChoiceField(queryset=ShareType.objects.none(), label=_("share type"))
    quantity = forms.IntegerField(label=_("number of shares"), min_value=1)
    memo = forms.CharField(label=_("memo"), max_length=200, required=False)

    def __init__(self, *args: Any, coop: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["share_type"].queryset = coop.share_types.filter(is_active=True)  # type: ignore[attr-defined]


def _fraction_text(value: str) -> str:
    text = value.strip().removesuffix("%").strip()
    if "/" in text:
        return text
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise forms.ValidationError(_("write a fraction such as 1/2 or a percentage")) from None
    return str(number / 100) if value.strip().endswith("%") else str(number)


class PollForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Poll.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    body = forms.CharField(
        label=_("details"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    options = forms.CharField(
        label=_("options, candidates or times (one a line)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    seats = forms.IntegerField(label=_("seats (STV)"), min_value=1, initial=1)
    method = forms.ChoiceField(
        label=_("STV method"),
        choices=[("stv-scottish", _("Scottish STV")), ("meek", _("Meek STV"))],
        initial="stv-scottish",
    )
    quorum = forms.CharField(label=_("quorum (share of the electorate)"), initial="0")
    quorum_base = forms.ChoiceField(
        label=_("quorum base"), choices=[(b.value, b.value) for b in Base]
    )
    abstentions_count_toward_quorum = forms.BooleanField(
        label=_("abstentions count toward the quorum"), required=False, initial=True
    )
    threshold = forms.CharField(label=_("threshold"), initial="1/2")
    threshold_base = forms.ChoiceField(
        label=_("threshold base"),
        choices=[(b.value, b.value) for b in Base],
        initial=Base.VOTES_CAST.value,
    )
    abstentions_in_threshold_base = forms.BooleanField(
        label=_("abstentions count in the threshold base"), required=False
    )
    comparison = forms.ChoiceField(
        label=_("yes must be"), choices=[(c.value, c.value) for c in Comparison]
    )
    tie_rule = forms.ChoiceField(
        label=_("on a tie"),
        choices=[(t.value, t.value) for t in TieRule],
        initial=TieRule.FURTHER_DISCUSSION.value,
    )
    closes_at = forms.DateTimeField(
        label=_("closes at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    is_anonymous = forms.BooleanField(label=_("secret ballot"), required=False)
    is_results_hidden = forms.BooleanField(label=_("hide results until closed"), required=False)
    visibility = forms.ChoiceField(
        label=_("who can read its outcome"),
        choices=[
            (Visibility.MEMBERS, _("the co-op's members only")),
            (Visibility.PUBLIC, _("anyone (public): totals and shares, never who voted how")),
        ],
        initial=Visibility.MEMBERS,
        required=False,
    )

    def clean_visibility(self) -> str:
        return self.cleaned_data.get("visibility") or Visibility.MEMBERS

    def clean_quorum(self) -> str:
        return _fraction_text(self.cleaned_data["quorum"])

    def clean_threshold(self) -> str:
        return _fraction_text(self.cleaned_data["threshold"])

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        kind = d["kind"]
        settings: dict[str, Any] = {}
        if kind == Poll.Kind.PROPOSAL:
            settings = {
                k: d[k]
                for k in (
                    "quorum",
                    "quorum_base",
                    "abstentions_count_toward_quorum",
                    "threshold",
                    "threshold_base",
                    "abstentions_in_threshold_base",
                    "comparison",
                    "tie_rule",
                )
            }
        elif kind == Poll.Kind.STV:
            settings = {"method": d["method"]}
        return {
            "kind": kind,
            "title": d["title"],
            "body": d["body"],
            "options": [ln.strip() for ln in d["options"].splitlines() if ln.strip()],
            "seats": d["seats"],
            "settings": settings,
            "closes_at": d["closes_at"],
            "is_anonymous": d["is_anonymous"],
            "is_results_hidden": d["is_results_hidden"],
            "visibility": d["visibility"],
        }


def choice_from_post(poll: Poll, data: Any) -> dict[str, Any]:
    """Turn the vote form's fields into the ballot the service checks."""
    kind = poll.kind
    if kind == Poll.Kind.PROPOSAL:
        return {"vote": data.get("vote", "")}
    if kind == Poll.Kind.CONSENT:
        return {"position": data.get("position", ""), "reason": data.get("reason", "")}
    if kind in (Poll.Kind.CONSENSUS, Poll.Kind.ADVICE):
        return {"stance": data.get("stance", ""), "comment": data.get("comment", "")}

    def numbers(prefix: str) -> dict[str, int]:
        out = {}
        for i, option in enumerate(poll.options):
            raw = str(data.get(f"{prefix}_{i}", "")).strip()
            if raw:
                try:
                    out[option] = int(raw)
                except ValueError:
                    raise forms.ValidationError(
                        _("%(o)s: %(v)s is not a whole number") % {"o": option, "v": raw}
                    ) from None
        return out

    if kind == Poll.Kind.SCORE:
        return {"scores": numbers("score")}
    if kind == Poll.Kind.DOT:
        return {"dots": numbers("dots")}
    if kind in (Poll.Kind.RANKED, Poll.Kind.STV):
        ranks = numbers("rank")
        return {"ranking": [o for o, _r in sorted(ranks.items(), key=lambda kv: kv[1])]}
    return {
        "availability": {
            o: data.get(f"avail_{i}") for i, o in enumerate(poll.options) if data.get(f"avail_{i}")
        }
    }


class OutcomeForm(forms.Form):
    statement = forms.CharField(
        label=_("outcome statement"), widget=forms.Textarea(attrs={"rows": 3})
    )


BYLAWS_EXAMPLE = (
    '{"version": "2025-1", "reserves": "30", "indivisible_reserves": "50", '
    '"social_fund": "10", "members": "60", "patronage_basis": "mixed", '
    '"mixed_weights": {"hours": "70", "purchases": "30"}, "cash": "30"}'
)
"""Valid bylaws (the form's help text shows them; a test checks they are accepted)."""


class BylawsForm(forms.Form):
    effective_from = forms.DateField(
        label=_("effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    data = forms.CharField(
        label=_("bylaws (BYLAWS.json)"), widget=forms.Textarea(attrs={"rows": 14, "cols": 60})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data"].help_text = _(
            "A JSON object. It must give version, reserves, indivisible_reserves, social_fund, "
            'members, patronage_basis ("hours", "purchases" or "mixed") and cash. It may give '
            'mixed_weights (only with "mixed": the hours and purchases shares, adding up to '
            '100), minimum_cash, collective_account, acceptance ("steward" or '
            '"general-assembly"), and assembly_quorum and assembly_threshold (only with '
            '"general-assembly"). Percentages are strings with at most two decimals. '
            "For example: %(example)s"
        ) % {"example": BYLAWS_EXAMPLE}

    def clean_data(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["data"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("not valid JSON (line %(l)s): %(m)s") % {"l": exc.lineno, "m": exc.msg}
            ) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("the bylaws are a JSON object"))
        try:
            bylaws_from_dict(value)  # the service checks again; here to name the key clearly
        except BylawsError as exc:
            raise forms.ValidationError(_bylaws_problem(exc)) from None
        return value


def _bylaws_problem(exc: BylawsError) -> str:
    """The engine's complaint as a sentence that names the key."""
    if exc.message == "unknown key":
        return _("“%(key)s” is not a bylaws key; the keys are %(keys)s.") % {
            "key": exc.field,
            "keys": ", ".join(sorted(BYLAWS_KEYS)),
        }
    if exc.message == "missing":
        return _("“%(key)s” is missing: every bylaws version gives it.") % {"key": exc.field}
    return _("“%(key)s” is wrong: %(problem)s") % {"key": exc.field, "problem": exc.message}


def parse_patronage(text: str) -> list[PatronageRow]:
    """`member,hours,purchases` lines (header optional); hours and purchases as decimals."""
    rows: list[PatronageRow] = []
    for number, rec in enumerate(csv.reader(io.StringIO(text.strip())), start=1):
        if not rec or not "".join(rec).strip():
            continue
        if number == 1 and rec[0].strip().lower() == "member":
            continue
        if len(rec) != 3:
            raise forms.ValidationError(
                _("line %(n)s: expected member,hours,purchases") % {"n": number}
            )
        member, hours, purchases = (c.strip() for c in rec)
        try:
            minutes = parse_minor(hours or "0", exponent=4, allow_negative=True) * 60
            if minutes % 10_000:
                raise AmountError("hours")
            cents = parse_minor(purchases or "0", exponent=2, allow_negative=True)
        except AmountError:
            raise forms.ValidationError(
                _("line %(n)s: hours must be whole minutes and purchases an amount") % {"n": number}
            ) from None
        rows.append(PatronageRow(member, minutes // 10_000, cents))
    if not rows:
        raise forms.ValidationError(_("give at least one member's patronage"))
    return rows


class AllocationForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=1900, max_value=3000)
    surplus = forms.CharField(label=_("surplus"), help_text=_("for example 12500.00"))
    patronage = forms.CharField(
        label=_("patronage (CSV: member,hours,purchases)"),
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def clean_surplus(self) -> int:
        try:
            return parse_minor(self.cleaned_data["surplus"], exponent=2)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_patronage(self) -> list[PatronageRow]:
        return parse_patronage(self.cleaned_data["patronage"])
