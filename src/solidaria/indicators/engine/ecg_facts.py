"""ECG Matrix 5.0: the topic and stakeholder weights that follow from a company's facts.

The rules are those of the official balance-sheet calculator (econgood-it/balance-sheet-
calculator, the port of the "Bilanzrechner" 5.0 spreadsheet) and of its
`Documentation_Calculation.tex`, including the spreadsheet's own limitations, which the
calculator keeps on purpose so that both give the same points:

- the supply chain's ecological weight (A3) is 1 unless at least five supply fractions
  are listed, each with an industry;
- for balance sheets before 5.0.9 the ITUC score of "rest of the world" (`AWO`) and of
  suppliers without a country is taken as 2.99;
- an employees' country after `LKA` in alphabetical order, or an average region, adds
  nothing to the employees' ITUC average;
- when every fact is zero (an empty form), every topic weight is 1.

Everything is exact (`Fraction`); a quotient the spreadsheet cannot compute (a zero
denominator) takes the spreadsheet's fallback value, named below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

__all__ = [
    "CompanyFacts",
    "CompanySize",
    "EmployeesFraction",
    "FactsAnalysis",
    "FactsError",
    "Industry",
    "IndustrySector",
    "Region",
    "RiskTables",
    "SupplyFraction",
    "analyse_facts",
    "stakeholder_weights",
    "topic_weights",
]

WORLD = "AWO"  # the calculator's "rest of the world" region
AVERAGE_REGIONS = frozenset({"AOC", "AEU", "AAS", "AAM", "AAF", WORLD})
DEFAULT_PPP_INDEX = Fraction("1.00304566871495")  # spreadsheet cell '11.Region'.C243
DEFAULT_SUPPLY_ITUC = Fraction("2.99")
DEFAULT_ECOLOGICAL_DESIGN = Fraction(1)
DEFAULT_ECONOMIC_RATIO_E23 = Fraction("0.3")
DEFAULT_ECONOMIC_RATIO_E22 = Fraction("0.2")
DEFAULT_RISK_RATIO = Fraction(100)  # a stakeholder's risk ratio with a zero denominator
FINANCIAL_SERVICES = "K"
MINING_OR_CONSTRUCTION = frozenset({"B", "F"})
MILLION = 1_000_000
STAKEHOLDERS = ("A", "B", "C", "D", "E")
TOPICS = tuple(f"{s}{v}" for s in STAKEHOLDERS for v in range(1, 5))


class FactsError(ValueError):
    """Facts the calculation cannot use; `path` names the field (JSON-path style)."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class CompanySize(Enum):
    MICRO = "micro"
    SMALL = "small"
    MIDDLE = "middle"
    LARGE = "large"


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    ppp_index: Fraction
    ituc: Fraction


@dataclass(frozen=True, slots=True)
class Industry:
    code: str
    ecological_supply_chain_risk: Fraction
    ecological_design: Fraction


@dataclass(frozen=True, slots=True)
class RiskTables:
    """The country (PPP index, ITUC rights score) and industry risk tables of one version."""

    regions: Mapping[str, Region]
    industries: Mapping[str, Industry]
    regions_version: str = "5.0.5"
    industries_version: str = "5.0.4"

    def region(self, code: str, path: str) -> Region:
        try:
            return self.regions[code]
        except KeyError:
            raise FactsError(f"unknown country code {code!r}", path) from None

    def industry(self, code: str, path: str) -> Industry:
        try:
            return self.industries[code]
        except KeyError:
            raise FactsError(f"unknown industry code {code!r}", path) from None


@dataclass(frozen=True, slots=True)
class SupplyFraction:
    country_code: str | None
    industry_code: str | None
    costs: Fraction


@dataclass(frozen=True, slots=True)
class EmployeesFraction:
    country_code: str | None
    share: Fraction  # of the staff, 0..1 (the calculator's `percentage` as a decimal)


@dataclass(frozen=True, slots=True)
class IndustrySector:
    industry_code: str | None
    share_of_turnover: Fraction  # 0..1
    description: str = ""


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    """A company's facts in the calculator's units (amounts in any one currency unit)."""

    total_purchase_from_suppliers: Fraction = Fraction(0)
    total_staff_costs: Fraction = Fraction(0)
    profit: Fraction = Fraction(0)
    financial_costs: Fraction = Fraction(0)
    income_from_financial_investments: Fraction = Fraction(0)
    additions_to_fixed_assets: Fraction = Fraction(0)
    turnover: Fraction = Fraction(0)
    total_assets: Fraction = Fraction(0)
    financial_assets_and_cash_balance: Fraction = Fraction(0)
    number_of_employees: Fraction = Fraction(0)
    has_canteen: bool | None = None
    average_journey_to_work_km: Fraction = Fraction(0)
    is_b2b: bool = False
    supply_fractions: tuple[SupplyFraction, ...] = ()
    employees_fractions: tuple[EmployeesFraction, ...] = ()
    industry_sectors: tuple[IndustrySector, ...] = ()
    main_origin_of_other_suppliers: str | None = WORLD
    # The calculator stores it; None: total purchase minus the listed supply fractions.
    main_origin_costs: Fraction | None = None

    @property
    def other_suppliers_costs(self) -> Fraction:
        if self.main_origin_costs is not None:
            return self.main_origin_costs
        listed = sum((s.costs for s in self.supply_fractions), Fraction(0))
        return self.total_purchase_from_suppliers - listed

    def all_zero(self) -> bool:
        """The spreadsheet's "empty" test: every number zero, every yes/no unset or no."""
        numbers = [
            self.total_purchase_from_suppliers,
            self.total_staff_costs,
            self.profit,
            self.financial_costs,
            self.income_from_financial_investments,
            self.additions_to_fixed_assets,
            self.turnover,
            self.total_assets,
            self.financial_assets_and_cash_balance,
            self.number_of_employees,
            self.average_journey_to_work_km,
            self.other_suppliers_costs,
        ]
        numbers += [s.costs for s in self.supply_fractions]
        numbers += [e.share for e in self.employees_fractions]
        numbers += [i.share_of_turnover for i in self.industry_sectors]
        return not any(numbers) and not self.has_canteen and not self.is_b2b


@dataclass(frozen=True, slots=True)
class FactsAnalysis:
    """The intermediate figures the weights come from (the spreadsheet's helper cells)."""

    supply_risk_sum: Fraction
    supply_chain_weight: Fraction
    supply_ituc_average: Fraction
    employees_risk: Fraction
    employees_ituc_average: Fraction
    company_size: CompanySize
    financial_aspects_sum: Fraction
    economic_ratio_e23: Fraction
    economic_ratio_e22: Fraction
    in_financial_services: bool
    ecological_design_sum: Fraction
    profit_share_of_turnover: Fraction | None
    in_mining_or_construction: bool
    all_facts_zero: bool
    fallbacks: tuple[str, ...] = field(default=())  # figures that took a fallback value


def _supply(
    facts: CompanyFacts, tables: RiskTables, legacy_world_ituc: bool
) -> tuple[Fraction, Fraction, Fraction, list[str]]:
    fallbacks: list[str] = []

    def ppp(code: str | None, path: str) -> Fraction:
        return tables.region(code, path).ppp_index if code else DEFAULT_PPP_INDEX

    def ituc(code: str | None, path: str) -> Fraction:
        if not code or (legacy_world_ituc and code == WORLD):
            return DEFAULT_SUPPLY_ITUC
        return tables.region(code, path).ituc

    other_path = "$.mainOriginOfOtherSuppliers.countryCode"
    parts = [
        (s.costs * ppp(s.country_code, f"$.supplyFractions[{i}].countryCode"), s, i)
        for i, s in enumerate(facts.supply_fractions)
    ]
    other_code = facts.main_origin_of_other_suppliers
    other = facts.other_suppliers_costs * ppp(other_code, other_path)
    risk_sum = sum((p for p, _, _ in parts), Fraction(0)) + other

    if risk_sum == 0:
        fallbacks += ["supply_chain_weight", "supply_ituc_average"]
        return risk_sum, Fraction(1), Fraction(0), fallbacks
    ituc_average = (
        sum(
            (ituc(s.country_code, f"$.supplyFractions[{i}].countryCode") * p / risk_sum)
            for p, s, i in parts
        )
        + ituc(other_code, other_path) * other / risk_sum
    )

    chain_weight = Fraction(1)
    if len(parts) < 5:
        fallbacks.append("supply_chain_weight")
    else:
        weighted, risks = Fraction(0), Fraction(0)
        for p, s, i in parts:
            path = f"$.supplyFractions[{i}].industryCode"
            risk = tables.industry(s.industry_code, path) if s.industry_code else None
            if risk is None or not risk.ecological_supply_chain_risk:
                fallbacks.append("supply_chain_weight")
                break
            weighted += p / risk_sum * risk.ecological_supply_chain_risk
            risks += p / risk_sum
        else:
            if risks:
                chain_weight = weighted / risks
    return risk_sum, chain_weight, Fraction(ituc_average), fallbacks


def _employees(facts: CompanyFacts, tables: RiskTables) -> tuple[Fraction, Fraction]:
    risk, share_sum, ituc = Fraction(0), Fraction(0), Fraction(0)
    for i, e in enumerate(facts.employees_fractions):
        path = f"$.employeesFractions[{i}].countryCode"
        ppp = tables.region(e.country_code, path).ppp_index if e.country_code else None
        risk += facts.total_staff_costs * e.share * (DEFAULT_PPP_INDEX if ppp is None else ppp)
        share_sum += e.share
        code = e.country_code
        if code and code <= "LKA" and code not in AVERAGE_REGIONS:
            ituc += e.share * tables.region(code, path).ituc
    risk += (1 - share_sum) * DEFAULT_PPP_INDEX * facts.total_staff_costs
    return risk, ituc


def _company_size(facts: CompanyFacts) -> CompanySize:
    staff, turnover, assets = facts.number_of_employees, facts.turnover, facts.total_assets
    if staff < 10 and (turnover <= 2 * MILLION or assets <= 2 * MILLION):
        return CompanySize.MICRO
    if staff < 50 and (turnover <= 10 * MILLION or assets <= 10 * MILLION):
        return CompanySize.SMALL
    if staff < 250 and (turnover <= 50 * MILLION or assets <= 43 * MILLION):
        return CompanySize.MIDDLE
    return CompanySize.LARGE


def analyse_facts(
    facts: CompanyFacts, tables: RiskTables, *, legacy_world_ituc: bool = True
) -> FactsAnalysis:
    """The helper figures of the weighting sheet (`legacy_world_ituc`: before 5.0.9)."""
    risk_sum, chain_weight, supply_ituc, fallbacks = _supply(facts, tables, legacy_world_ituc)
    employees_risk, employees_ituc = _employees(facts, tables)
    if facts.total_assets:
        e23 = facts.turnover / facts.total_assets
        e22 = (
            facts.additions_to_fixed_assets + facts.financial_assets_and_cash_balance
        ) / facts.total_assets
    else:
        e23, e22 = DEFAULT_ECONOMIC_RATIO_E23, DEFAULT_ECONOMIC_RATIO_E22
        fallbacks += ["economic_ratio_e23", "economic_ratio_e22"]
    design, listed = Fraction(0), Fraction(0)
    for i, sector in enumerate(facts.industry_sectors):
        path = f"$.industrySectors[{i}].industryCode"
        code = sector.industry_code
        eco = tables.industry(code, path).ecological_design if code else DEFAULT_ECOLOGICAL_DESIGN
        design += eco * sector.share_of_turnover
        listed += sector.share_of_turnover
    codes = {s.industry_code for s in facts.industry_sectors}
    return FactsAnalysis(
        supply_risk_sum=risk_sum,
        supply_chain_weight=chain_weight,
        supply_ituc_average=supply_ituc,
        employees_risk=employees_risk,
        employees_ituc_average=employees_ituc,
        company_size=_company_size(facts),
        financial_aspects_sum=facts.profit
        + facts.financial_costs
        + facts.income_from_financial_investments
        + facts.additions_to_fixed_assets,
        economic_ratio_e23=e23,
        economic_ratio_e22=e22,
        in_financial_services=FINANCIAL_SERVICES in codes,
        ecological_design_sum=design + (1 - listed),
        profit_share_of_turnover=facts.profit / facts.turnover if facts.turnover else None,
        in_mining_or_construction=bool(codes & MINING_OR_CONSTRUCTION),
        all_facts_zero=facts.all_zero(),
        fallbacks=tuple(dict.fromkeys(fallbacks)),
    )


def _risk_weight(ratio: Fraction) -> Fraction:
    """A stakeholder's risk ratio, clamped to 60..300, as a weight (spreadsheet I49:I51)."""
    clamped = min(max(ratio, Fraction(60)), Fraction(300))
    if clamped == 60:
        return Fraction(1, 2)
    if clamped == 300:
        return Fraction(2)
    return Fraction(1) if clamped < 180 else Fraction(3, 2)


def stakeholder_weights(a: FactsAnalysis) -> dict[str, Fraction]:
    """Suppliers, owners and staff weigh by their share of the company's risk; D and E are 1."""
    denominator = a.supply_risk_sum + a.employees_risk + a.financial_aspects_sum

    def ratio(numerator: Fraction, factor: int) -> Fraction:
        return 60 * numerator / denominator * factor if denominator else DEFAULT_RISK_RATIO

    return {
        "A": _risk_weight(ratio(a.supply_risk_sum, 5)),
        "B": _risk_weight(ratio(a.financial_aspects_sum, 10)),
        "C": _risk_weight(ratio(a.employees_risk, 10)),
        "D": Fraction(1),
        "E": Fraction(1),
    }


def _steps(
    value: Fraction, table: Sequence[tuple[str, str, Fraction]], other: Fraction
) -> Fraction:
    """The first weight whose test holds, in order (`<` or `>` against a bound)."""
    for op, bound, weight in table:
        limit = Fraction(bound)
        if (op == "<" and value < limit) or (op == ">" and value > limit):
            return weight
    return other


H, ONE, ONE_H, TWO, ZERO = Fraction(1, 2), Fraction(1), Fraction(3, 2), Fraction(2), Fraction(0)


def topic_weights(facts: CompanyFacts, a: FactsAnalysis) -> dict[str, Fraction]:
    """The weight of each of the 20 topics that the facts give (before the user's choices)."""
    if a.all_facts_zero:
        return dict.fromkeys(TOPICS, ONE)
    micro = a.company_size is CompanySize.MICRO
    design = _steps(
        a.ecological_design_sum, [("<", "0.75", H), ("<", "1.25", ONE), (">", "1.75", TWO)], ONE_H
    )
    profit = a.profit_share_of_turnover
    b2 = (
        ONE
        if profit is None
        else _steps(profit, [(">", "0.1", ONE_H), ("<", "0.001", ZERO), ("<", "0.03", H)], ONE)
    )
    e2 = ONE if profit is None else _steps(profit, [("<", "0.05", H), (">", "0.1", ONE_H)], ONE)
    if facts.number_of_employees == 1:
        c4 = ZERO
    elif micro:
        c4 = H
    else:
        c4 = ONE_H if a.employees_ituc_average > Fraction("3.25") else ONE
    journey = facts.average_journey_to_work_km
    c3 = H if journey < 10 and facts.has_canteen is False else ONE_H if journey > 25 else ONE
    if a.in_mining_or_construction:
        e4 = ONE_H
    elif a.company_size in (CompanySize.MICRO, CompanySize.SMALL):
        e4 = H
    else:
        e4 = ONE
    return {
        "A1": ONE,
        "A2": ONE,
        "A3": _steps(
            a.supply_chain_weight, [(">", "1.5", TWO), (">", "1.25", ONE_H), ("<", "0.75", H)], ONE
        ),
        "A4": _steps(
            a.supply_ituc_average, [("<", "1.5", H), ("<", "3.26", ONE), ("<", "4.5", ONE_H)], TWO
        ),
        "B1": TWO
        if a.in_financial_services
        else _steps(a.economic_ratio_e23, [("<", "0.1", ONE_H), (">", "0.5", H)], ONE),
        "B2": b2,
        "B3": TWO
        if a.in_financial_services
        else _steps(a.economic_ratio_e22, [("<", "0.1", H), (">", "0.25", ONE_H)], ONE),
        "B4": H if micro else ONE,
        "C1": ONE,
        "C2": ONE,
        "C3": c3,
        "C4": c4,
        "D1": ONE,
        "D2": ONE,
        "D3": design,
        "D4": ONE_H if facts.is_b2b else ONE,
        "E1": ONE,
        "E2": e2,
        "E3": design,
        "E4": e4,
    }
