"""What pages call the network indicators, and how each figure reads, in words.

The catalogue keeps codes, units, sources, periods and formulas as data; pages show the
translated sentences here (a test checks every catalogue code has them). A figure's
value is formatted for display only (`core/templatetags/human.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from solidaria.core.money import format_minor, format_minutes
from solidaria.core.templatetags.human import display_decimal, display_percent
from solidaria.indicators.engine.network import SMALL_GROUP

REPORT_TITLE = _("Network report %(year)s")
NO_REPORT = _("There is no network report for this year yet.")

TITLES = {
    "trade.settled_inside": _("Invoiced trade settled inside the network"),
    "ledger.volume": _("Mutual-credit volume"),
    "ledger.velocity": _("Velocity of mutual credit"),
    "ledger.accounts_in_credit": _("Accounts in credit"),
    "ledger.accounts_in_debt": _("Accounts in debt"),
    "timebank.minutes": _("Hours exchanged in the time bank"),
    "timebank.people": _("People taking part in the time bank"),
    "clearing.set_off": _("Debt set off by clearing"),
    "clearing.liquidity_saved": _("Liquidity saved by clearing"),
    "budgeting.turnout": _("Participatory budgeting turnout"),
    "budgeting.voters_with_funded_project": _("Voters with at least one funded project"),
    "governance.poll_turnout": _("Turnout in co-op polls"),
    "governance.members_voting": _("Members who voted at least once"),
    "people.gender_members": _("Gender balance of the members"),
    "people.gender_stewards": _("Gender balance of the stewards"),
}

METHODS = {
    "trade.settled_inside": _(
        "Of the invoices members recorded between them in the year (not withdrawn), the "
        "share of their value that was set off by clearing or paid on the network's ledger "
        "by the end of the year."
    ),
    "ledger.volume": _(
        "The sum of the completed payments of the year (payments, payment requests, bulk "
        "payments and imports; not starting grants, levies or payments later reversed)."
    ),
    "ledger.velocity": _(
        "The year's payments divided by the money in circulation at the end of the year "
        "(the sum of the positive balances): how many times each unit changed hands."
    ),
    "ledger.accounts_in_credit": _(
        "The share of the members' and organisations' accounts whose balance was above zero "
        "at the end of the year."
    ),
    "ledger.accounts_in_debt": _(
        "The share of the members' and organisations' accounts whose balance was below zero "
        "at the end of the year."
    ),
    "timebank.minutes": _("The sum of the time given and received in the time bank in the year."),
    "timebank.people": _(
        "How many different people gave or received time in the time bank in the year."
    ),
    "clearing.set_off": _(
        "The sum of the debts set off by the clearing runs members accepted in the year."
    ),
    "clearing.liquidity_saved": _(
        "Of the open debt the accepted clearing runs of the year looked at, the share they "
        "set off: debt settled without anyone paying."
    ),
    "budgeting.turnout": _(
        "For each participatory budget whose voting opened in the year: ballots cast over "
        "the electorate (the members admitted when voting opened, or the voting codes issued)."
    ),
    "budgeting.voters_with_funded_project": _(
        "For each participatory budget counted in the year, and each counting rule used: "
        "the share of ballots that supported at least one project the rule funded. "
        "Comparing the rules shows what a proportional rule changes for voters."
    ),
    "governance.poll_turnout": _(
        "For each co-op poll closed in the year: the people who took part over its "
        "electorate when it opened."
    ),
    "governance.members_voting": _(
        "Of the members admitted at the end of the year, the share who took part in at least "
        "one co-op poll closed in the year."
    ),
    "people.gender_members": _(
        "Of the members admitted at the end of the year, how many declared each gender on "
        "their profile (it is optional; those who did not are counted as not declared), and "
        "their share of all members. A group of fewer than 5 people is never shown, so that "
        "nobody can be recognised; when only one group would be hidden, the next smallest is "
        "hidden too, so it cannot be worked out from the total."
    ),
    "people.gender_stewards": _(
        "The same count for the members who steward something at the end of the year: "
        "network stewards, currency stewards, co-op stewards and budgeting process managers, "
        "each person counted once. Groups of fewer than 5 people are never shown."
    ),
}

GENDERS = {
    "woman": _("Women"),
    "man": _("Men"),
    "non_binary": _("Non-binary people"),
    "another": _("Another identity"),
    "prefer_not_to_say": _("Preferred not to say"),
    "not_declared": _("Not declared"),
}
FEWER_THAN = _("fewer than %(n)s")
HIDDEN = _("hidden, so that a smaller group cannot be worked out")


def suppressed_text(figure: Mapping[str, Any]) -> str:
    """What a suppressed figure reads as ("" when it is not suppressed)."""
    why = (figure.get("details") or {}).get("suppressed")
    if not why:
        return ""
    return str(FEWER_THAN % {"n": SMALL_GROUP}) if why == 1 else str(HIDDEN)


UNITS = {
    "amount": _("an amount of the currency"),
    "minutes": _("hours and minutes"),
    "share": _("a percentage"),
    "ratio": _("a number of times"),
    "count": _("a number of people"),
}

PER = {
    "currency": _("for each currency"),
    "process": _("for each participatory budget"),
    "poll": _("for each poll"),
    "network": _("for the whole network"),
}


def title(code: str) -> str:
    return str(TITLES.get(code, code))


def method(code: str) -> str:
    return str(METHODS.get(code, ""))


def value_text(figure: Mapping[str, Any], unit: str, exponent: int = 2, code: str = "") -> str:
    """A figure's value as people read it (rounded for display only)."""
    value = Fraction(str(figure["value"]))
    if unit == "amount":
        return f"{format_minor(int(figure['numerator']), exponent=exponent)} {code}".strip()
    if unit == "minutes":
        return format_minutes(int(figure["numerator"]))
    if unit == "share":
        return display_percent(value)
    if unit == "ratio":
        return str(_("%(times)s times") % {"times": display_decimal(value, 2)})
    count = int(figure["numerator"])
    return ngettext("%(count)s person", "%(count)s people", count) % {"count": count}


MONEY_BASED = frozenset({"trade.settled_inside", "clearing.liquidity_saved", "ledger.velocity"})


def basis_text(figure: Mapping[str, Any], unit: str, exponent: int = 2, code: str = "") -> str:
    """The numbers behind a share or a ratio, in words ("12 of 40"; amounts formatted)."""
    if figure.get("denominator") in (None, 0) or unit not in ("share", "ratio"):
        return ""
    part, whole = int(figure["numerator"]), int(figure["denominator"])
    if figure["indicator"] in MONEY_BASED:
        shown = {
            "part": format_minor(part, exponent=exponent),
            "whole": format_minor(whole, exponent=exponent),
            "code": code,
        }
        if unit == "ratio":
            return str(_("%(part)s %(code)s paid, %(whole)s %(code)s in circulation") % shown)
        return str(_("%(part)s of %(whole)s %(code)s") % shown)
    return str(_("%(part)s of %(whole)s") % {"part": part, "whole": whole})
