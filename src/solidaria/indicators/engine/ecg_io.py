"""Read the ECG calculator's JSON formats: ratings, company facts and the risk tables.

Ratings (`*_ratings_input.json`): a list of `{"shortName", "estimations", "weight",
"isWeightSelectedByUser", ...}`; other keys (`name`, `points`, `maxPoints`, `type`,
`isPositive`) are the calculator's output and are ignored. Company facts
(`company_facts_non_empty.json`): the calculator's domain object, percentages as
decimals (0.5 = half). Numbers are read exactly (as decimals, never floats).
Every error names the JSON path (`$[3].estimations`, `$.supplyFractions[0].costs`).
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

from solidaria.indicators.engine.ecg import RatingInput
from solidaria.indicators.engine.ecg_facts import (
    WORLD,
    CompanyFacts,
    EmployeesFraction,
    FactsError,
    Industry,
    IndustrySector,
    Region,
    RiskTables,
    SupplyFraction,
)

__all__ = [
    "InputError",
    "facts_from_json",
    "load_json",
    "parse_stakeholder_weights",
    "ratings_from_json",
    "tables_from_json",
]


class InputError(ValueError):
    """Input that is not in the expected format; the message starts with the JSON path."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def load_json(text: str) -> Any:
    """Parse JSON with every non-integer number as an exact `Decimal`."""
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None


def _number(value: Any, path: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise InputError(f"expected a number, not {json.dumps(value, default=str)}", path)
    if isinstance(value, Decimal) and not value.is_finite():
        raise InputError("expected a finite number", path)
    return Fraction(value)


def _field(obj: dict[str, Any], key: str, path: str, default: Fraction | None) -> Fraction:
    if key not in obj or obj[key] is None:
        if default is None:
            raise InputError("missing", f"{path}.{key}")
        return default
    return _number(obj[key], f"{path}.{key}")


def _code(value: Any, path: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError("expected a code (text)", path)
    return value


def _flag(obj: dict[str, Any], key: str, path: str) -> bool | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        raise InputError("expected true or false", f"{path}.{key}")
    return value


def _objects(data: Any, path: str) -> list[dict[str, Any]]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError("expected a list", path)
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError("expected an object", f"{path}[{i}]")
    return data


def ratings_from_json(data: Any) -> list[RatingInput]:
    """The ratings a person entered (see the module docstring)."""
    out = []
    for i, item in enumerate(_objects(data, "$")):
        path = f"$[{i}]"
        code = item.get("shortName")
        if not isinstance(code, str) or not code:
            raise InputError("missing", f"{path}.shortName")
        weight = item.get("weight")
        chosen = _flag(item, "isWeightSelectedByUser", path) or False
        out.append(
            RatingInput(
                code=code,
                estimation=_field(item, "estimations", path, Fraction(0)),
                weight=None if weight is None else _number(weight, f"{path}.weight"),
                weight_chosen=chosen,
            )
        )
    return out


def facts_from_json(data: Any) -> CompanyFacts:
    """Company facts in the calculator's format (missing numbers are 0)."""
    if not isinstance(data, dict):
        raise InputError("expected an object")
    zero = Fraction(0)

    def num(key: str) -> Fraction:
        return _field(data, key, "$", zero)

    supply = tuple(
        SupplyFraction(
            country_code=_code(s.get("countryCode"), f"$.supplyFractions[{i}].countryCode"),
            industry_code=_code(s.get("industryCode"), f"$.supplyFractions[{i}].industryCode"),
            costs=_field(s, "costs", f"$.supplyFractions[{i}]", zero),
        )
        for i, s in enumerate(_objects(data.get("supplyFractions"), "$.supplyFractions"))
    )
    employees = tuple(
        EmployeesFraction(
            country_code=_code(e.get("countryCode"), f"$.employeesFractions[{i}].countryCode"),
            share=_field(e, "percentage", f"$.employeesFractions[{i}]", zero),
        )
        for i, e in enumerate(_objects(data.get("employeesFractions"), "$.employeesFractions"))
    )
    sectors = tuple(
        IndustrySector(
            industry_code=_code(s.get("industryCode"), f"$.industrySectors[{i}].industryCode"),
            share_of_turnover=_field(s, "amountOfTotalTurnover", f"$.industrySectors[{i}]", zero),
            description=str(s.get("description") or ""),
        )
        for i, s in enumerate(_objects(data.get("industrySectors"), "$.industrySectors"))
    )
    for i, e in enumerate(employees):
        if not 0 <= e.share <= 1:
            raise InputError(
                "a share of the staff is between 0 and 1", f"$.employeesFractions[{i}].percentage"
            )
    for i, sector in enumerate(sectors):
        if not 0 <= sector.share_of_turnover <= 1:
            raise InputError(
                "a share of the turnover is between 0 and 1",
                f"$.industrySectors[{i}].amountOfTotalTurnover",
            )
    origin = data.get("mainOriginOfOtherSuppliers")
    origin_code: str | None = WORLD
    origin_costs: Fraction | None = None
    if isinstance(origin, dict):
        origin_code = _code(origin.get("countryCode"), "$.mainOriginOfOtherSuppliers.countryCode")
        if origin.get("costs") is not None:
            origin_costs = _number(origin["costs"], "$.mainOriginOfOtherSuppliers.costs")
    elif origin is not None:
        origin_code = _code(origin, "$.mainOriginOfOtherSuppliers")
    return CompanyFacts(
        total_purchase_from_suppliers=num("totalPurchaseFromSuppliers"),
        total_staff_costs=num("totalStaffCosts"),
        profit=num("profit"),
        financial_costs=num("financialCosts"),
        income_from_financial_investments=num("incomeFromFinancialInvestments"),
        additions_to_fixed_assets=num("additionsToFixedAssets"),
        turnover=num("turnover"),
        total_assets=num("totalAssets"),
        financial_assets_and_cash_balance=num("financialAssetsAndCashBalance"),
        number_of_employees=num("numberOfEmployees"),
        has_canteen=_flag(data, "hasCanteen", "$"),
        average_journey_to_work_km=num("averageJourneyToWorkForStaffInKm"),
        is_b2b=bool(_flag(data, "isB2B", "$")),
        supply_fractions=supply,
        employees_fractions=employees,
        industry_sectors=sectors,
        main_origin_of_other_suppliers=origin_code,
        main_origin_costs=origin_costs,
    )


def tables_from_json(regions: Any, industries: Any) -> RiskTables:
    """The calculator's `regions_*.json` and `industries_*.json` lists."""
    region_map = {}
    for i, r in enumerate(_objects(regions, "$")):
        code = _code(r.get("countryCode"), f"$[{i}].countryCode")
        if code is None:
            raise InputError("missing", f"$[{i}].countryCode")
        region_map[code] = Region(
            code, _field(r, "pppIndex", f"$[{i}]", None), _field(r, "ituc", f"$[{i}]", None)
        )
    industry_map = {}
    for i, ind in enumerate(_objects(industries, "$")):
        code = _code(ind.get("industryCode"), f"$[{i}].industryCode")
        if code is None:
            raise InputError("missing", f"$[{i}].industryCode")
        industry_map[code] = Industry(
            code,
            _field(ind, "ecologicalSupplyChainRisk", f"$[{i}]", None),
            _field(ind, "ecologicalDesignOfProductsAndServices", f"$[{i}]", None),
        )
    return RiskTables(region_map, industry_map)


def parse_stakeholder_weights(text: str) -> dict[str, Fraction]:
    """`A=0.5,C=2` -> {"A": 1/2, "C": 2} (exact; a group named twice is an error)."""
    out: dict[str, Fraction] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        group, sep, value = part.partition("=")
        group = group.strip().upper()
        if not sep or not group:
            raise InputError(f"{part!r} is not GROUP=WEIGHT", "--stakeholder-weights")
        if group in out:
            raise InputError(f"{group} given twice", "--stakeholder-weights")
        try:
            weight = Fraction(Decimal(value.strip()))
        except (ArithmeticError, ValueError):
            raise InputError(
                f"{value.strip()!r} is not a number", "--stakeholder-weights"
            ) from None
        if weight < 0:
            raise InputError(f"{group}={value.strip()} is negative", "--stakeholder-weights")
        out[group] = weight
    return out


__all__ += ["FactsError"]
