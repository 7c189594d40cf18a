"""An ECG balance's company facts as the platform stores them, checks them and hands them
to the engine (`engine.ecg_facts.CompanyFacts`).

Stored on `Assessment.facts` (and taken by the API) as one JSON object:

- amounts of money are integers in minor units (cents): the nine `MONEY` keys; only the
  profit may be negative; a missing amount is 0;
- `number_of_employees` (full-time equivalent) and `average_journey_to_work_km` are
  exact decimals written as text ("12.5"), not below 0;
- `has_canteen` is true, false or null (not stated: the calculator treats "no canteen"
  and "not stated" differently), `is_b2b` true or false;
- `supply`: the suppliers listed by country and industry with what they cost
  (`{"country": "DEU", "industry": "Ce", "costs": 50000}`), together at most the total
  purchases; the rest of the purchases come from `other_suppliers_country`
  (the calculator's "main origin of other suppliers", "AWO" = rest of the world);
- `staff`: shares of the staff per country (`{"country": "ESP", "percent": "40"}`), and
  `sectors`: shares of the turnover per industry (`{"industry": "K", "percent": "30",
  "description": ""}`); each list's percentages add up to at most 100.

Country and industry codes are those of the shipped risk tables. `from_calculator`
reads the calculator's own format (`company_facts_non_empty.json`: amounts in currency
units, shares as decimals) and `to_calculator` writes it. `explain` says, topic by topic,
why the facts give the weight they give.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from typing import Any

from django.utils.translation import gettext as _

from solidaria.core.errors import ValidationFailed
from solidaria.indicators import catalogues
from solidaria.indicators.engine.ecg_facts import (
    WORLD,
    CompanyFacts,
    CompanySize,
    EmployeesFraction,
    FactsAnalysis,
    IndustrySector,
    SupplyFraction,
)

MONEY = (
    "total_purchase_from_suppliers",
    "total_staff_costs",
    "profit",
    "financial_costs",
    "income_from_financial_investments",
    "additions_to_fixed_assets",
    "turnover",
    "total_assets",
    "financial_assets_and_cash_balance",
)
DECIMALS = ("number_of_employees", "average_journey_to_work_km")
LISTS = ("supply", "staff", "sectors")
EXPONENT = 2  # minor units per currency unit: 10**EXPONENT
MAX_MONEY = 10**15  # in minor units: ten trillion in a currency with cents
MAX_DECIMAL = Decimal(10**9)
MAX_PLACES = 4  # decimal places of a percentage, a number of employees or a distance
MAX_ROWS = 100
MAX_DESCRIPTION = 200
# the calculator's names of the scalar facts
CALCULATOR_NAMES = {
    "total_purchase_from_suppliers": "totalPurchaseFromSuppliers",
    "total_staff_costs": "totalStaffCosts",
    "profit": "profit",
    "financial_costs": "financialCosts",
    "income_from_financial_investments": "incomeFromFinancialInvestments",
    "additions_to_fixed_assets": "additionsToFixedAssets",
    "turnover": "turnover",
    "total_assets": "totalAssets",
    "financial_assets_and_cash_balance": "financialAssetsAndCashBalance",
    "number_of_employees": "numberOfEmployees",
    "average_journey_to_work_km": "averageJourneyToWorkForStaffInKm",
    "has_canteen": "hasCanteen",
    "is_b2b": "isB2B",
}


def list_title(name: str) -> str:
    return {
        "supply": _("Supply chain"),
        "staff": _("Staff by country"),
        "sectors": _("Turnover by industry"),
    }[name]


def field_label(name: str) -> str:
    return {
        "country": _("country"),
        "industry": _("industry"),
        "costs": _("costs"),
        "percent": _("share (%)"),
        "description": _("description"),
        "total_purchase_from_suppliers": _("Total purchases from suppliers"),
        "total_staff_costs": _("Total staff costs"),
        "profit": _("Profit"),
        "financial_costs": _("Financial costs"),
        "income_from_financial_investments": _("Income from financial investments"),
        "additions_to_fixed_assets": _("Additions to fixed assets"),
        "turnover": _("Turnover"),
        "total_assets": _("Total assets"),
        "financial_assets_and_cash_balance": _("Financial assets and cash"),
        "number_of_employees": _("Number of employees (full-time equivalent)"),
        "average_journey_to_work_km": _("Average journey to work (km)"),
        "has_canteen": _("Canteen"),
        "is_b2b": _("Most customers are other businesses (B2B)"),
        "other_suppliers_country": _("Country of the other suppliers"),
    }.get(name, name)


# ---------------------------------------------------------------- the code tables


@cache
def _names(kind: str) -> dict[str, str]:
    folder = catalogues.folder() / "ecg"
    if kind == "regions":
        rows = json.loads((folder / "regions_5_0_5.json").read_text(encoding="utf-8"))
        return {r["countryCode"]: r.get("countryName") or r["countryCode"] for r in rows}
    rows = json.loads((folder / "industries_5_0_4.json").read_text(encoding="utf-8"))
    return {r["industryCode"]: r.get("name") or r["industryCode"] for r in rows}


def country_choices() -> list[tuple[str, str]]:
    """(code, "code — name") of the regions table, by code (averages such as AWO included)."""
    known = catalogues.ecg_tables().regions
    return [(c, f"{c} — {n}") for c, n in sorted(_names("regions").items()) if c in known]


def industry_choices() -> list[tuple[str, str]]:
    known = catalogues.ecg_tables().industries
    return [(c, f"{c} — {n}") for c, n in _names("industries").items() if c in known]


# ---------------------------------------------------------------- checking


def _fail(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, field=field)


def _row_fail(name: str, index: int, key: str, problem: str) -> ValidationFailed:
    return _fail(
        _("%(list)s, row %(row)s, %(field)s: %(problem)s")
        % {
            "list": list_title(name),
            "row": index + 1,
            "field": field_label(key),
            "problem": problem,
        },
        f"{name}.{index}.{key}",
    )


def _money(value: Any, *, negative: bool) -> int | str:
    """The amount, or the problem as a sentence."""
    if isinstance(value, bool) or not isinstance(value, int):
        return _("write a whole number of cents (minor units), such as 125000 for 1250.00.")
    if value < 0 and not negative:
        return _("an amount is not below 0.")
    if abs(value) > MAX_MONEY:
        return _("the amount is too large.")
    return value


def _decimal(value: Any) -> Decimal | str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return _("write a number, such as 12 or 12.5.")
    text = str(value).strip().replace(",", ".")
    if len(text) > 30:
        return _("write a number, such as 12 or 12.5.")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return _("write a number, such as 12 or 12.5.")
    if not number.is_finite():
        return _("write a number, such as 12 or 12.5.")
    if number < 0:
        return _("not below 0.")
    if number > MAX_DECIMAL:
        return _("the number is too large.")
    if -number.as_tuple().exponent > MAX_PLACES:  # type: ignore[operator]
        return _("at most %(n)s decimal places.") % {"n": MAX_PLACES}
    return number


def _plain(number: Decimal) -> str:
    """A decimal as plain text without trailing zeros ("12.50" -> "12.5", "1E+1" -> "10")."""
    text = format(number.normalize(), "f")
    return text


def _code(value: Any, known: Mapping[str, object]) -> str | None:
    if not isinstance(value, str):
        return None
    code = value.strip()
    return code if code in known else None


def clean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The facts checked and normalised (see the module docstring); a problem is a
    `ValidationFailed` whose sentence names the row and field (`field`: "supply.2.costs")."""
    if not isinstance(raw, Mapping):
        raise _fail(_("The company facts are an object of named facts."), "facts")
    tables = catalogues.ecg_tables()
    known = {*MONEY, *DECIMALS, *LISTS, "has_canteen", "is_b2b", "other_suppliers_country"}
    for key in raw:
        if key not in known:
            raise _fail(_("%(key)s is not a company fact.") % {"key": str(key)[:60]}, str(key))
    out: dict[str, Any] = {}
    for key in MONEY:
        value = raw.get(key, 0)
        money = _money(0 if value is None else value, negative=key == "profit")
        if isinstance(money, str):
            raise _fail(f"{field_label(key)}: {money}", key)
        out[key] = money
    for key in DECIMALS:
        value = raw.get(key)
        number = _decimal("0" if value in (None, "") else value)
        if isinstance(number, str):
            raise _fail(f"{field_label(key)}: {number}", key)
        out[key] = _plain(number)
    canteen = raw.get("has_canteen")
    if canteen is not None and not isinstance(canteen, bool):
        raise _fail(_("Canteen: yes, no or not stated."), "has_canteen")
    out["has_canteen"] = canteen
    b2b = raw.get("is_b2b", False)
    if not isinstance(b2b, bool):
        raise _fail(_("B2B: yes or no."), "is_b2b")
    out["is_b2b"] = b2b
    origin = raw.get("other_suppliers_country") or WORLD
    if _code(origin, tables.regions) is None:
        raise _fail(
            _("Country of the other suppliers: %(code)s is not a country code of the ECG tables.")
            % {"code": str(origin)[:20]},
            "other_suppliers_country",
        )
    out["other_suppliers_country"] = origin.strip()
    out["supply"] = _rows(raw, "supply", tables.regions, tables.industries)
    out["staff"] = _rows(raw, "staff", tables.regions, tables.industries)
    out["sectors"] = _rows(raw, "sectors", tables.regions, tables.industries)
    listed = sum(r["costs"] for r in out["supply"])
    if listed > out["total_purchase_from_suppliers"]:
        raise _fail(
            _(
                "Supply chain: the suppliers listed cost %(listed)s, more than the total "
                "purchases from suppliers (%(total)s)."
            )
            % {
                "listed": _major(listed),
                "total": _major(out["total_purchase_from_suppliers"]),
            },
            "total_purchase_from_suppliers",
        )
    for name in ("staff", "sectors"):
        total = sum((Decimal(r["percent"]) for r in out[name]), Decimal(0))
        if total > 100:
            raise _fail(
                _("%(list)s: the shares add up to %(sum)s %%, more than 100 %%.")
                % {"list": list_title(name), "sum": _plain(total)},
                f"{name}.{len(out[name]) - 1}.percent",
            )
    return out


def _major(minor: int) -> str:
    from solidaria.core.money import format_minor

    return format_minor(minor, exponent=EXPONENT)


def _rows(
    raw: Mapping[str, Any],
    name: str,
    regions: Mapping[str, object],
    industries: Mapping[str, object],
) -> list[dict[str, Any]]:
    rows = raw.get(name) or []
    if not isinstance(rows, list):
        raise _fail(_("%(list)s: a list of rows.") % {"list": list_title(name)}, name)
    if len(rows) > MAX_ROWS:
        raise _fail(
            _("%(list)s: at most %(n)s rows.") % {"list": list_title(name), "n": MAX_ROWS}, name
        )
    fields = {
        "supply": ("country", "industry", "costs"),
        "staff": ("country", "percent"),
        "sectors": ("industry", "percent", "description"),
    }[name]
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise _fail(
                _("%(list)s, row %(row)s: a row is an object.")
                % {"list": list_title(name), "row": i + 1},
                f"{name}.{i}",
            )
        for key in row:
            if key not in fields:
                raise _row_fail(name, i, str(key)[:40], _("not a field of this list."))
        item: dict[str, Any] = {}
        if "country" in fields:
            code = _code(row.get("country"), regions)
            if code is None:
                raise _row_fail(
                    name, i, "country", _("choose a country code of the ECG tables (such as ESP).")
                )
            item["country"] = code
        if "industry" in fields:
            code = _code(row.get("industry"), industries)
            if code is None:
                raise _row_fail(
                    name,
                    i,
                    "industry",
                    _("choose an industry code of the ECG tables (such as Ce)."),
                )
            item["industry"] = code
        if "costs" in fields:
            money = _money(row.get("costs", 0), negative=False)
            if isinstance(money, str):
                raise _row_fail(name, i, "costs", money)
            item["costs"] = money
        if "percent" in fields:
            number = _decimal(row.get("percent", "0"))
            if isinstance(number, str):
                raise _row_fail(name, i, "percent", number)
            if number > 100:
                raise _row_fail(name, i, "percent", _("a share is at most 100 %."))
            item["percent"] = _plain(number)
        if "description" in fields:
            text = row.get("description") or ""
            if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
                raise _row_fail(
                    name, i, "description", _("at most %(n)s characters.") % {"n": MAX_DESCRIPTION}
                )
            item["description"] = text.strip()
        out.append(item)
    return out


# ---------------------------------------------------------------- to and from the engine


def _units(minor: int) -> Fraction:
    return Fraction(minor, 10**EXPONENT)


def _share(percent: str) -> Fraction:
    return Fraction(Decimal(percent)) / 100


def to_engine(stored: Mapping[str, Any]) -> CompanyFacts:
    """Stored facts (checked by `clean`) as the engine's facts, in currency units."""
    if not stored:
        return CompanyFacts()
    money = {k: _units(int(stored.get(k, 0))) for k in MONEY}
    return CompanyFacts(
        **money,
        number_of_employees=Fraction(Decimal(stored.get("number_of_employees", "0"))),
        average_journey_to_work_km=Fraction(Decimal(stored.get("average_journey_to_work_km", "0"))),
        has_canteen=stored.get("has_canteen"),
        is_b2b=bool(stored.get("is_b2b")),
        supply_fractions=tuple(
            SupplyFraction(r["country"], r["industry"], _units(r["costs"]))
            for r in stored.get("supply", [])
        ),
        employees_fractions=tuple(
            EmployeesFraction(r["country"], _share(r["percent"])) for r in stored.get("staff", [])
        ),
        industry_sectors=tuple(
            IndustrySector(r["industry"], _share(r["percent"]), r.get("description", ""))
            for r in stored.get("sectors", [])
        ),
        main_origin_of_other_suppliers=stored.get("other_suppliers_country") or WORLD,
    )


def _to_minor(value: Any, path: str) -> int:
    amount = Fraction(value) * 10**EXPONENT
    if amount.denominator != 1:
        raise ValidationFailed(
            _("%(path)s: more decimal places than the currency has.") % {"path": path}, field=path
        )
    return int(amount)


def _to_percent(value: Any) -> str:
    return _plain(Decimal(str(value)) * 100)


def from_calculator(data: Mapping[str, Any]) -> dict[str, Any]:
    """The calculator's facts format (amounts in currency units, shares 0..1) as stored
    facts, checked. The other suppliers' costs are not read: they are the total purchases
    less the suppliers listed, as the calculator computes them."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(_("The company facts are an object of named facts."))
    out: dict[str, Any] = {}
    for key, name in CALCULATOR_NAMES.items():
        if data.get(name) is None:
            continue
        if key in MONEY:
            out[key] = _to_minor(data[name], name)
        elif key in DECIMALS:
            out[key] = str(data[name])
        else:
            out[key] = data[name]
    out["supply"] = [
        {
            "country": s.get("countryCode"),
            "industry": s.get("industryCode"),
            "costs": _to_minor(s.get("costs") or 0, "costs"),
        }
        for s in data.get("supplyFractions") or []
    ]
    out["staff"] = [
        {"country": e.get("countryCode"), "percent": _to_percent(e.get("percentage") or 0)}
        for e in data.get("employeesFractions") or []
    ]
    out["sectors"] = [
        {
            "industry": s.get("industryCode"),
            "percent": _to_percent(s.get("amountOfTotalTurnover") or 0),
            "description": s.get("description") or "",
        }
        for s in data.get("industrySectors") or []
    ]
    origin = data.get("mainOriginOfOtherSuppliers")
    if isinstance(origin, Mapping):
        origin = origin.get("countryCode")
    if origin:
        out["other_suppliers_country"] = origin
    return clean(out)


def other_suppliers_costs(stored: Mapping[str, Any]) -> int:
    """What the suppliers not listed cost (minor units): the total less the listed."""
    listed = sum(int(r["costs"]) for r in stored.get("supply", []))
    return int(stored.get("total_purchase_from_suppliers", 0)) - listed


# ---------------------------------------------------------------- why the weights


@dataclass(frozen=True)
class Reason:
    code: str  # a topic (A3) or a stakeholder group (A)
    weight: Fraction
    why: str

    @property
    def weight_text(self) -> str:
        return _n(self.weight)


def _n(value: Fraction, places: int = 2) -> str:
    from solidaria.indicators.engine.ecg import display

    return str(display(value, places))


def _topic_sentence(code: str, weight: Fraction, why: str) -> str:
    values = {"code": code, "w": _n(weight), "why": why}
    if weight > 1:
        return _("This raises the weight of topic %(code)s to %(w)s because %(why)s.") % values
    if weight < 1:
        return _("This lowers the weight of topic %(code)s to %(w)s because %(why)s.") % values
    return _("Topic %(code)s keeps the weight 1 because %(why)s.") % values


def _group_sentence(group: str, weight: Fraction, why: str) -> str:
    values = {"g": group, "w": _n(weight), "why": why}
    if weight > 1:
        return (
            _("This raises the weight of stakeholder group %(g)s to %(w)s because %(why)s.")
            % values
        )
    if weight < 1:
        return (
            _("This lowers the weight of stakeholder group %(g)s to %(w)s because %(why)s.")
            % values
        )
    return _("Stakeholder group %(g)s keeps the weight 1 because %(why)s.") % values


def explain(
    facts: CompanyFacts,
    analysis: FactsAnalysis,
    topic_weights: Mapping[str, Fraction],
    group_weights: Mapping[str, Fraction],
) -> list[Reason]:
    """Why the facts give each topic and stakeholder group its weight, in sentences that
    name the figures (exact values shown rounded)."""
    a = analysis
    if a.all_facts_zero:
        return [
            Reason(
                "*",
                Fraction(1),
                _("No company facts are filled in yet: every topic weighs 1."),
            )
        ]
    micro = a.company_size is CompanySize.MICRO
    size = {
        CompanySize.MICRO: _("a micro company"),
        CompanySize.SMALL: _("a small company"),
        CompanySize.MIDDLE: _("a medium-sized company"),
        CompanySize.LARGE: _("a large company"),
    }[a.company_size]
    profit = a.profit_share_of_turnover
    profit_text = (
        _("there is no turnover, so the profit's share of it cannot be computed")
        if profit is None
        else _("the profit is %(p)s %% of the turnover") % {"p": _n(profit * 100)}
    )
    why: dict[str, str] = {}
    if "supply_chain_weight" in a.fallbacks:
        why["A3"] = _(
            "the ecological risk of the supply chain is only computed from at least five "
            "suppliers listed by country and industry"
        )
    else:
        why["A3"] = _(
            "the suppliers' industries have an ecological risk of %(r)s on average "
            "(weighted by costs and purchasing power)"
        ) % {"r": _n(a.supply_chain_weight)}
    why["A4"] = (
        _("no supplier costs are given, so their countries' rights score is 0")
        if "supply_ituc_average" in a.fallbacks
        else _("the suppliers' countries have an ITUC rights score of %(s)s on average")
        % {"s": _n(a.supply_ituc_average)}
    )
    if a.in_financial_services:
        why["B1"] = why["B3"] = _("the organisation is in financial services (industry K)")
    elif "economic_ratio_e23" in a.fallbacks:
        why["B1"] = why["B3"] = _("without total assets the calculator's default ratios apply")
    else:
        why["B1"] = _("the turnover is %(r)s times the total assets") % {
            "r": _n(a.economic_ratio_e23)
        }
        why["B3"] = _(
            "additions to fixed assets and financial assets are %(p)s %% of the total assets"
        ) % {"p": _n(a.economic_ratio_e22 * 100)}
    why["B2"] = profit_text
    why["B4"] = _("it is %(size)s") % {"size": size}
    journey = _n(facts.average_journey_to_work_km)
    canteen = {
        True: _("there is a canteen"),
        False: _("there is no canteen"),
        None: _("a canteen is not stated"),
    }[facts.has_canteen]
    why["C3"] = _("the average journey to work is %(km)s km and %(canteen)s") % {
        "km": journey,
        "canteen": canteen,
    }
    if facts.number_of_employees == 1:
        why["C4"] = _("there is one employee")
    elif micro:
        why["C4"] = _("it is %(size)s") % {"size": size}
    else:
        why["C4"] = _("the staff's countries have an ITUC rights score of %(s)s on average") % {
            "s": _n(a.employees_ituc_average)
        }
    why["D3"] = why["E3"] = _(
        "the ecological design of the industries of its turnover scores %(s)s"
    ) % {"s": _n(a.ecological_design_sum)}
    why["D4"] = (
        _("most customers are other businesses")
        if facts.is_b2b
        else _("most customers are not businesses")
    )
    why["E2"] = profit_text
    why["E4"] = (
        _("it works in mining or construction")
        if a.in_mining_or_construction
        else _("it is %(size)s") % {"size": size}
    )
    out: list[Reason] = []
    group_why = {
        "A": _("the suppliers carry %(s)s of the risk (costs by purchasing power)"),
        "B": _("the owners and lenders carry %(s)s of the risk (profit, finance, investment)"),
        "C": _("the staff carry %(s)s of the risk (staff costs by purchasing power)"),
    }
    total = a.supply_risk_sum + a.employees_risk + a.financial_aspects_sum
    parts = {"A": a.supply_risk_sum, "B": a.financial_aspects_sum, "C": a.employees_risk}
    for group, template in group_why.items():
        weight = group_weights.get(group, Fraction(1))
        share = _("an unknown share") if not total else f"{_n(parts[group] / total * 100)} %"
        out.append(Reason(group, weight, _group_sentence(group, weight, template % {"s": share})))
    for code, reason in why.items():
        weight = topic_weights.get(code, Fraction(1))
        out.append(Reason(code, weight, _topic_sentence(code, weight, reason)))
    return sorted(out, key=lambda r: r.code)
