"""What governance pages say: poll settings, counts, outcomes, ballots and bylaws as
translated sentences, built from the structured data the engines store. The codes stay in
the data (and in the API); pages show them only inside a collapsed "details" part."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from solidaria.core.templatetags.human import (
    amount,
    as_fraction,
    display_decimal,
    display_percent,
)

OUTCOME_NAMES = {
    "passed": gettext_lazy("passed"),
    "failed": gettext_lazy("not passed"),
    "no-quorum": gettext_lazy("no quorum"),
    "further-discussion": gettext_lazy("tie: back to discussion"),
    "awaiting-chair": gettext_lazy("tie: the chair decides"),
    "objected": gettext_lazy("objected"),
    "consensus": gettext_lazy("consensus"),
    "consensus-with-reservations": gettext_lazy("consensus with reservations"),
    "blocked": gettext_lazy("blocked"),
    "no-positions": gettext_lazy("nobody took a position"),
    "advice-given": gettext_lazy("advice given"),
    "elected": gettext_lazy("elected"),
    "decided": gettext_lazy("decided"),
    "tie": gettext_lazy("tie"),
    "no-votes": gettext_lazy("no votes"),
    "no-slot": gettext_lazy("no time suits"),
}

COUNT_METHOD_NAMES = {
    "stv-scottish": gettext_lazy("single transferable vote, Scottish rules (2007)"),
    "meek": gettext_lazy("single transferable vote, Meek's method"),
    "irv": gettext_lazy("instant-runoff voting"),
}

ROUND_ACTIONS = {
    "first-preferences": gettext_lazy("first preferences counted"),
    "exclusion": gettext_lazy("votes of an excluded candidate transferred"),
    "surplus": gettext_lazy("surplus of an elected candidate transferred"),
    "iteration": gettext_lazy("keep values recalculated"),
}

CHOICE_NAMES = {
    "yes": gettext_lazy("yes"),
    "no": gettext_lazy("no"),
    "abstain": gettext_lazy("abstain"),
    "consent": gettext_lazy("consent"),
    "stand-aside": gettext_lazy("stand aside"),
    "object": gettext_lazy("object"),
    "agree": gettext_lazy("agree"),
    "disagree": gettext_lazy("disagree"),
    "block": gettext_lazy("block"),
    "if-need-be": gettext_lazy("if need be"),
}

FUND_NAMES = {
    "reserves_indivisible": gettext_lazy("Indivisible reserves"),
    "reserves_divisible": gettext_lazy("Divisible reserves"),
    "social_fund": gettext_lazy("Social and education fund"),
    "collective": gettext_lazy("Collective account"),
}

PATRONAGE_BASES = {
    "hours": gettext_lazy("hours worked"),
    "purchases": gettext_lazy("purchases"),
}


def outcome_label(code: str) -> str:
    return str(OUTCOME_NAMES.get(code, code.replace("-", " ").replace("_", " ")))


def choice_label(code: Any) -> str:
    return str(CHOICE_NAMES.get(str(code), str(code)))


def method_label(code: Any) -> str:
    return str(COUNT_METHOD_NAMES.get(str(code), str(code)))


def fund_label(account: str) -> str:
    return str(FUND_NAMES.get(account, account.replace("_", " ")))


def share_words(share: Fraction) -> str:
    """1/2 → "half", 2/3 → "two thirds", other shares as a percentage."""
    words = {
        Fraction(1): _("all"),
        Fraction(1, 2): _("half"),
        Fraction(1, 3): _("a third"),
        Fraction(2, 3): _("two thirds"),
        Fraction(1, 4): _("a quarter"),
        Fraction(3, 4): _("three quarters"),
    }
    return words.get(share) or display_percent(share)


def _fraction(value: Any, default: Fraction = Fraction(0)) -> Fraction:
    found = as_fraction(value)
    return default if found is None else found


def _truthy(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes", "on"}


def _votes(value: Any) -> str:
    number = display_decimal(value)
    return ngettext("%(n)s vote", "%(n)s votes", 1 if number == "1" else 2) % {"n": number}


# --- settings ------------------------------------------------------------------------


def _quorum_sentence(s: Mapping[str, Any]) -> str:
    quorum = _fraction(s.get("quorum"))
    if quorum == 0:
        return _("No quorum is needed.")
    abstaining = (
        _("abstentions count toward it")
        if _truthy(s.get("abstentions_count_toward_quorum", True))
        else _("abstentions do not count toward it")
    )
    if s.get("quorum_base") == "votes-cast":
        return _("Quorum: at least %(votes)s must take part; %(abstaining)s.") % {
            "votes": _votes(quorum),
            "abstaining": abstaining,
        }
    return _("Quorum: %(share)s of the electorate's votes must take part; %(abstaining)s.") % {
        "share": share_words(quorum),
        "abstaining": abstaining,
    }


def _threshold_base_words(s: Mapping[str, Any]) -> str:
    if s.get("threshold_base") == "electorate":
        return _("the electorate's votes")
    if _truthy(s.get("abstentions_in_threshold_base", False)):
        return _("the votes cast, abstentions included")
    return _("the yes and no votes")


def _threshold_sentence(s: Mapping[str, Any]) -> str:
    share = share_words(_fraction(s.get("threshold"), Fraction(1, 2)))
    base = _threshold_base_words(s)
    if s.get("comparison") == ">=":
        return _("To pass, yes needs at least %(share)s of %(base)s.") % {
            "share": share,
            "base": base,
        }
    return _("To pass, yes needs more than %(share)s of %(base)s.") % {"share": share, "base": base}


TIE_RULES = {
    "fails": gettext_lazy("A tie (as many yes as no) fails."),
    "further-discussion": gettext_lazy("A tie (as many yes as no) goes back to discussion."),
    "chair-decides": gettext_lazy("In a tie (as many yes as no) the chair decides."),
}

RULE_SENTENCES = {
    "consent": gettext_lazy("Passes unless someone objects; an objection needs a reason."),
    "consensus": gettext_lazy(
        "Any block blocks; disagreement without a block is consensus with reservations."
    ),
    "advice": gettext_lazy("Advice does not bind; whoever decides states the decision."),
    "time": gettext_lazy(
        "The time most people can make wins; then the most clear yeses; then the earliest."
    ),
}


def settings_sentences(kind: str, settings: Mapping[str, Any], seats: int = 1) -> list[str]:
    """The poll's stored settings as sentences (the raw settings go in a details part)."""
    s = settings or {}
    if kind == "proposal":
        return [
            _quorum_sentence(s),
            _threshold_sentence(s),
            str(TIE_RULES.get(str(s.get("tie_rule")), "")),
        ]
    if kind == "score":
        scoring = (
            _("Options are ranked by their average score.")
            if s.get("aggregate") == "mean"
            else _("Options are ranked by their total score.")
        )
        missing = (
            _("An option left without a score counts as the lowest score.")
            if _truthy(s.get("missing_is_minimum", True))
            else _("An option left without a score is left out of its count.")
        )
        scale = _("Each option gets a score from %(low)s to %(high)s.") % {
            "low": s.get("minimum", 0),
            "high": s.get("maximum", 5),
        }
        return [scale, scoring, missing]
    if kind == "dot":
        return [
            _("Each voter places up to %(dots)s dots, at most %(most)s on one option.")
            % {"dots": s.get("dots", 3), "most": s.get("max_per_option", 3)},
            _("The option with the most dots wins."),
        ]
    if kind == "stv":
        return [
            ngettext(
                "Counted by %(method)s for %(n)s seat.",
                "Counted by %(method)s for %(n)s seats.",
                seats,
            )
            % {"method": method_label(s.get("method", "stv-scottish")), "n": seats}
        ]
    if kind == "ranked":
        return [_("Counted by %(method)s.") % {"method": method_label("irv")}]
    sentence = RULE_SENTENCES.get(kind)
    return [str(sentence)] if sentence else []


def raw_settings(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """For the details part: the stored keys and values, as they are."""
    return [(str(k), str(v)) for k, v in (settings or {}).items()]


# --- results -------------------------------------------------------------------------


def _electorate_weight(data: Mapping[str, Any]) -> Any:
    electorate = data.get("electorate")
    if isinstance(electorate, Mapping):
        return electorate.get("weight", 0)
    return electorate or 0


def proposal_view(data: Mapping[str, Any]) -> dict[str, Any]:
    """Counts, what was needed and why the proposal passed or not, in sentences."""
    s = data.get("settings") or {}
    yes, no = int(data.get("yes", 0)), int(data.get("no", 0))
    quorum_needed = _fraction(data.get("quorum_required"))
    weight = _electorate_weight(data)
    if quorum_needed == 0:
        quorum = _("none")
    elif s.get("quorum_base") == "votes-cast":
        quorum = _votes(quorum_needed)
    else:
        quorum = _("%(votes)s (%(share)s of the electorate's %(weight)s votes)") % {
            "votes": _votes(quorum_needed),
            "share": share_words(_fraction(s.get("quorum"))),
            "weight": weight,
        }
    threshold = _threshold_phrase(data)
    return {
        "yes": yes,
        "no": no,
        "abstain": data.get("abstain", 0),
        "quorum": quorum,
        "threshold": threshold,
        "reason": proposal_reason(data),
    }


def _threshold_phrase(data: Mapping[str, Any]) -> str:
    """ "more than 4 votes (half of the yes and no votes)"."""
    s = data.get("settings") or {}
    comparison = (
        _("at least %(votes)s") if s.get("comparison") == ">=" else _("more than %(votes)s")
    )
    needed = comparison % {"votes": _votes(data.get("threshold_required", 0))}
    return _("%(needed)s (%(share)s of %(base)s)") % {
        "needed": needed,
        "share": share_words(_fraction(s.get("threshold"), Fraction(1, 2))),
        "base": _threshold_base_words(s),
    }


def proposal_reason(data: Mapping[str, Any]) -> str:
    outcome = str(data.get("outcome", ""))
    yes, no = int(data.get("yes", 0)), int(data.get("no", 0))
    tie = {"yes": yes, "no": no}
    if outcome == "no-quorum":
        return _("Not decided: %(took)s took part, the quorum is %(needed)s.") % {
            "took": _votes(data.get("participants", 0)),
            "needed": _votes(data.get("quorum_required", 0)),
        }
    if data.get("is_tie"):
        if outcome == "further-discussion":
            return _("A tie, %(yes)s yes to %(no)s no: back to discussion.") % tie
        if outcome == "awaiting-chair":
            return _("A tie, %(yes)s yes to %(no)s no: the chair decides.") % tie
        if outcome == "passed":
            return _("A tie, %(yes)s yes to %(no)s no: the chair's casting vote was yes.") % tie
        return _("A tie, %(yes)s yes to %(no)s no: a tie fails.") % tie
    values = {"yes": yes, "needed": _threshold_phrase(data)}
    if outcome == "passed":
        return _("Passed: %(yes)s yes, %(needed)s.") % values
    return _("Not passed: %(yes)s yes; it needed %(needed)s.") % values


_SUMMARY = re.compile(r"(\d+) (agree|abstain|disagree|block)")


def consensus_sentence(data: Mapping[str, Any]) -> str:
    """ "2 agree, 1 disagree" from the round's counts, translated."""
    parts = [
        f"{n} {choice_label(stance)}" for n, stance in _SUMMARY.findall(str(data.get("summary")))
    ]
    return ", ".join(parts) if parts else _("Nobody took a position.")


def consent_sentence(data: Mapping[str, Any]) -> str:
    values = {
        "consents": data.get("consents", 0),
        "asides": data.get("stand_asides", 0),
        "objections": len(data.get("objections") or []),
    }
    if data.get("is_passed"):
        return _("No objections: %(consents)s consented, %(asides)s stood aside.") % values
    return (
        _("Objected: %(objections)s objection(s); %(consents)s consented, %(asides)s stood aside.")
        % values
    )


def ranking_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Score, dot and time polls: one row per option with its total as a decimal."""
    rows = []
    for r in data.get("ranking") or []:
        if "slot" in r:
            total = _("%(y)s yes, %(m)s if need be, %(n)s no") % {
                "y": r.get("yes", 0),
                "m": r.get("if_need_be", 0),
                "n": r.get("no", 0),
            }
            rows.append({"option": r["slot"], "total": total})
        else:
            rows.append({"option": r.get("option", ""), "total": display_decimal(r.get("total"))})
    return rows


def round_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for r in data.get("rounds") or []:
        action = str(ROUND_ACTIONS.get(str(r.get("action")), r.get("action", "")))
        totals = "; ".join(
            f"{name}: {display_decimal(v, 5)}" for name, v in (r.get("totals") or {}).items()
        )
        rows.append(
            {
                "round": r.get("round"),
                "action": action,
                "candidate": r.get("candidate") or "",
                "totals": totals,
                "elected": ", ".join(r.get("elected") or []),
                "excluded": ", ".join(r.get("excluded") or []),
                "note": r.get("note", ""),
            }
        )
    return rows


def result_view(kind: str, outcome: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the result part of a poll page shows, in words."""
    view: dict[str, Any] = {"outcome": outcome_label(outcome), "kind": kind}
    if kind in ("ranked", "stv"):
        view["elected"] = ", ".join(data.get("elected") or []) or "—"
        quota = data.get("quota")
        view["quota"] = _votes(quota) if quota not in (None, "") else ""
        view["rounds"] = round_rows(data)
        view["method"] = method_label(data.get("method", ""))
        view["statement"] = _("Elected: %(names)s.") % {"names": view["elected"]}
    elif kind == "proposal":
        view["proposal"] = proposal_view(data)
        view["statement"] = view["proposal"]["reason"]
    elif kind in ("score", "dot", "time"):
        view["rows"] = ranking_rows(data)
        view["statement"] = poll_statement(outcome, data)
    elif kind == "consent":
        view["statement"] = consent_sentence(data)
        view["objections"] = list(data.get("objections") or [])
    else:
        view["statement"] = consensus_sentence(data)
        view["comments"] = [
            {"stance": choice_label(c.get("stance")), "comment": c.get("comment", "")}
            for c in data.get("comments") or []
        ]
    return view


def poll_statement(outcome: str, data: Mapping[str, Any]) -> str:
    winners = list(data.get("winners") or [])
    if data.get("best"):
        return _("Best time: %(s)s.") % {"s": data["best"]}
    if outcome == "no-slot":
        return _("Nobody is available at any time offered.")
    if outcome == "tie":
        return _("Tie between %(w)s.") % {"w": ", ".join(winners)}
    if winners:
        return _("Chosen: %(w)s.") % {"w": winners[0]}
    return _("No votes.")


def choice_text(kind: str, choice: Mapping[str, Any] | None) -> str:
    """How one open ballot voted, in words (secret ballots are never shown)."""
    if not choice:
        return ""
    if kind == "proposal":
        return choice_label(choice.get("vote"))
    if kind == "consent":
        text = choice_label(choice.get("position"))
        return f"{text} — {choice['reason']}" if choice.get("reason") else text
    if kind in ("consensus", "advice"):
        text = choice_label(choice.get("stance"))
        return f"{text} — {choice['comment']}" if choice.get("comment") else text
    if kind == "score":
        return ", ".join(f"{o}: {v}" for o, v in (choice.get("scores") or {}).items())
    if kind == "dot":
        return ", ".join(
            ngettext("%(o)s: %(n)s dot", "%(o)s: %(n)s dots", int(v)) % {"o": o, "n": v}
            for o, v in (choice.get("dots") or {}).items()
        )
    if kind in ("ranked", "stv"):
        return ", ".join(f"{i}. {o}" for i, o in enumerate(choice.get("ranking") or [], 1))
    return ", ".join(
        f"{o}: {choice_label(a)}" for o, a in (choice.get("availability") or {}).items()
    )


# --- allocation ----------------------------------------------------------------------


def bylaws_sentences(b: Mapping[str, Any]) -> list[str]:
    """A bylaws version (the BYLAWS.json keys) as sentences."""

    def pct(key: str, default: str = "0") -> str:
        return display_percent(_fraction(b.get(key, default)) / 100)

    out = []
    if b.get("effective_from"):
        out.append(
            _("Version %(v)s, in force from %(d)s.")
            % {"v": b.get("version", ""), "d": b["effective_from"]}
        )
    elif b.get("version"):
        out.append(_("Version %(v)s.") % {"v": b["version"]})
    out.append(
        _("%(r)s of the surplus goes to reserves, %(i)s of them indivisible.")
        % {"r": pct("reserves"), "i": pct("indivisible_reserves")}
    )
    out.append(_("%(s)s goes to the social and education fund.") % {"s": pct("social_fund")})
    basis = str(b.get("patronage_basis", ""))
    weights = b.get("mixed_weights") or {}
    if basis == "mixed":
        how = _("%(h)s by hours worked and %(p)s by purchases") % {
            "h": display_percent(_fraction(weights.get("hours", 0)) / 100),
            "p": display_percent(_fraction(weights.get("purchases", 0)) / 100),
        }
    else:
        how = _("by %(basis)s") % {"basis": PATRONAGE_BASES.get(basis, basis)}
    out.append(
        _("%(m)s is returned to members in proportion to their patronage, %(how)s.")
        % {"m": pct("members"), "how": how}
    )
    out.append(
        _(
            "%(c)s of each member's return is paid in cash (at least %(min)s); "
            "the rest is credited to their capital account."
        )
        % {"c": pct("cash"), "min": pct("minimum_cash")}
    )
    out.append(
        _("Cents left over by rounding go to the %(a)s.")
        % {"a": fund_label(str(b.get("collective_account", "collective"))).lower()}
    )
    if b.get("acceptance") == "general-assembly":
        out.append(
            _(
                "The general assembly accepts an allocation by a poll: %(q)s of the members' "
                "votes must take part, and yes needs more than %(t)s of the yes and no votes; "
                "a tie fails."
            )
            % {
                "q": share_words(_fraction(b.get("assembly_quorum", "0")) / 100),
                "t": share_words(_fraction(b.get("assembly_threshold", "50")) / 100),
            }
        )
    else:
        out.append(_("A co-op steward accepts an allocation."))
    return out


_COOP_ACCOUNT = re.compile(r"^coop:(?P<slug>[\w-]+)(?::(?P<fund>\w+))?$")


def ledger_account_label(name: str) -> str:
    """ "coop:bread-and-roses:social_fund" → "Social and education fund (bread-and-roses)"."""
    match = _COOP_ACCOUNT.match(name)
    if not match:
        return name
    if match.group("fund") is None:
        return _("Co-op account (%(slug)s)") % {"slug": match.group("slug")}
    return f"{fund_label(match.group('fund'))} ({match.group('slug')})"


def ledger_category_label(category: str) -> str:
    """ "surplus-social_fund" → "Surplus: Social and education fund"."""
    prefix, _dash, fund = category.partition("-")
    if prefix == "surplus" and fund:
        return _("Surplus: %(fund)s") % {"fund": fund_label(fund)}
    return category


def allocation_rows(
    lines: Sequence[Any], surplus: int, currency: Any = None
) -> list[dict[str, Any]]:
    """One row per fund and member: name, cents, its share of the surplus, and its exact
    share rounded to the nearest cent (`nearest_cents`) with what largest-remainder
    rounding changed (`rounding`: -1, 0 or +1 cent). Pages show money, never the
    fraction itself (it stays in the CSV and the API)."""
    rows = []
    for ln in lines:
        is_member = bool(ln.membership_id)
        exact = _fraction(ln.exact)
        nearest = round(exact)
        rows.append(
            {
                "name": ln.account if is_member else fund_label(ln.account),
                "account": ln.account,
                "is_member": is_member,
                "cents": ln.cents,
                "cash_cents": ln.cash_cents,
                "capital_cents": ln.capital_cents,
                "share": display_percent(exact / surplus) if surplus else "",
                "nearest_cents": nearest,
                "rounding": ln.cents - nearest,
                "rounding_text": rounding_sentence(ln.cents - nearest, currency),
            }
        )
    return rows


def rounding_sentence(cents: int, currency: Any) -> str:
    """What largest-remainder rounding did to one line, in words."""
    if cents == 0:
        return _("none")
    one = amount(abs(cents), currency)
    if cents > 0:
        return _("%(c)s more, to make the total exact") % {"c": one}
    return _("%(c)s less, to make the total exact") % {"c": one}


def patronage_source_sentence(run: Any) -> str:
    """Where a run's patronage figures came from, in one sentence."""
    if run.patronage_source != "ledger":
        return _("The patronage figures were typed in by a steward.")
    period = {
        "start": date_format(run.period_start, "SHORT_DATE_FORMAT"),
        "end": date_format(run.period_end, "SHORT_DATE_FORMAT"),
    }
    parts = []
    if run.hours_currency_id:
        parts.append(
            _("hours worked are the time paid to each member in %(code)s")
            % {"code": run.hours_currency.code}
        )
    if run.purchases_account_id:
        parts.append(
            _("purchases are what each member paid into the co-op's account %(name)s")
            % {"name": run.purchases_account.name}
        )
    return _(
        "The patronage figures were read from the ledger, from %(start)s to %(end)s: "
        "%(sources)s (share payments and reversed payments left out)."
    ) % {**period, "sources": "; ".join(parts)}


def transfers_count(n: int) -> str:
    return ngettext("%(n)s payment", "%(n)s payments", n) % {"n": n}
