"""Surplus-allocation bylaws as versioned data, and the BYLAWS.json format.

BYLAWS.json (every percentage a decimal *string* with at most two decimals, read
exactly; no floats)::

    {
      "version": "2025-1",                   label stored with every allocation run
      "effective_from": "2025-01-01",        optional, informative
      "reserves": "30",                      % of the surplus to reserves
      "indivisible_reserves": "50",          % of the reserves that is indivisible
      "social_fund": "10",                   % of the surplus to the social/education fund
      "members": "60",                       % returned to members by patronage
      "patronage_basis": "mixed",            "hours", "purchases" or "mixed"
      "mixed_weights": {"hours": "70", "purchases": "30"},   only for "mixed", sum 100
      "cash": "30",                          % of each member's return paid in cash
      "minimum_cash": "20",                  optional floor for "cash" (default 0)
      "collective_account": "collective",    optional, where the residue goes
      "acceptance": "general-assembly",      optional: "steward" (default) or
                                             "general-assembly" (a poll accepts a run)
      "assembly_quorum": "50",               optional, % of the electorate's vote
                                             weight that must take part (default 0)
      "assembly_threshold": "50"             optional: yes needs more than this % of
                                             the yes and no votes (default 50)
    }

reserves + social_fund + members must be exactly 100 %, and unknown keys are refused,
so a typo cannot silently drop a fund.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

FULL = 10_000  # 100 % in basis points
MAX_LABEL = 100  # characters of the version, the date and the collective account


class BylawsError(ValueError):
    """Bylaws that cannot be used; `field` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Acceptance(StrEnum):
    """Who accepts an allocation run: a co-op steward, or the general assembly by a poll
    (a proposal: quorum of the electorate's weight, yes > threshold of yes and no, a tie
    fails)."""

    STEWARD = "steward"
    GENERAL_ASSEMBLY = "general-assembly"


class PatronageBasis(StrEnum):
    HOURS = "hours"
    PURCHASES = "purchases"
    MIXED = "mixed"


@dataclass(frozen=True, slots=True)
class Bylaws:
    """Allocation rules; all shares in basis points (1 % = 100)."""

    version: str
    reserves_bp: int
    indivisible_reserves_bp: int
    social_fund_bp: int
    members_bp: int
    patronage_basis: PatronageBasis
    cash_bp: int
    hours_weight_bp: int = FULL
    purchases_weight_bp: int = 0
    minimum_cash_bp: int = 0
    collective_account: str = "collective"
    effective_from: str = ""
    acceptance: Acceptance = Acceptance.STEWARD
    assembly_quorum_bp: int = 0
    assembly_threshold_bp: int = FULL // 2

    def __post_init__(self) -> None:
        for name in (
            "reserves_bp",
            "indivisible_reserves_bp",
            "social_fund_bp",
            "members_bp",
            "cash_bp",
            "hours_weight_bp",
            "purchases_weight_bp",
            "minimum_cash_bp",
            "assembly_quorum_bp",
            "assembly_threshold_bp",
        ):
            value = getattr(self, name)
            if not 0 <= value <= FULL:
                raise BylawsError(name.removesuffix("_bp"), f"{_pct(value)} % is not 0..100 %")
        total = self.reserves_bp + self.social_fund_bp + self.members_bp
        if total != FULL:
            raise BylawsError(
                "shares",
                f"reserves {_pct(self.reserves_bp)} % + social_fund {_pct(self.social_fund_bp)} %"
                f" + members {_pct(self.members_bp)} % = {_pct(total)} %, not 100 %",
            )
        if self.hours_weight_bp + self.purchases_weight_bp != FULL:
            raise BylawsError("mixed_weights", "hours + purchases weights must add up to 100 %")
        if self.patronage_basis == PatronageBasis.HOURS and self.hours_weight_bp != FULL:
            raise BylawsError("mixed_weights", "basis 'hours' weighs hours at 100 %")
        if self.patronage_basis == PatronageBasis.PURCHASES and self.purchases_weight_bp != FULL:
            raise BylawsError("mixed_weights", "basis 'purchases' weighs purchases at 100 %")
        if self.cash_bp < self.minimum_cash_bp:
            raise BylawsError(
                "cash",
                f"{_pct(self.cash_bp)} % is below the minimum of {_pct(self.minimum_cash_bp)} %",
            )
        if not self.version.strip():
            raise BylawsError("version", "must not be empty")
        if not self.collective_account.strip():
            raise BylawsError("collective_account", "must not be empty")

    def as_dict(self) -> dict[str, Any]:
        """The BYLAWS.json form of these bylaws (percentages as decimal strings)."""
        data: dict[str, Any] = {
            "version": self.version,
            "reserves": _pct(self.reserves_bp),
            "indivisible_reserves": _pct(self.indivisible_reserves_bp),
            "social_fund": _pct(self.social_fund_bp),
            "members": _pct(self.members_bp),
            "patronage_basis": self.patronage_basis.value,
            "cash": _pct(self.cash_bp),
            "minimum_cash": _pct(self.minimum_cash_bp),
            "collective_account": self.collective_account,
        }
        if self.patronage_basis == PatronageBasis.MIXED:
            data["mixed_weights"] = {
                "hours": _pct(self.hours_weight_bp),
                "purchases": _pct(self.purchases_weight_bp),
            }
        if self.effective_from:
            data["effective_from"] = self.effective_from
        if self.acceptance == Acceptance.GENERAL_ASSEMBLY:
            data["acceptance"] = self.acceptance.value
            data["assembly_quorum"] = _pct(self.assembly_quorum_bp)
            data["assembly_threshold"] = _pct(self.assembly_threshold_bp)
        return data

    @property
    def needs_assembly(self) -> bool:
        return self.acceptance == Acceptance.GENERAL_ASSEMBLY


def _pct(bp: int) -> str:
    whole, cents = divmod(abs(bp), 100)
    sign = "-" if bp < 0 else ""
    return f"{sign}{whole}" if not cents else f"{sign}{whole}.{cents:02d}".rstrip("0")


def parse_percent(value: Any, field: str) -> int:
    """'12.5' -> 1250 basis points, exactly; floats and more than 2 decimals are refused."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        shown = repr(value) if len(repr(value)) < 40 else f"a {type(value).__name__}"
        raise BylawsError(field, f'write the percentage as a string such as "30", got {shown}')
    if isinstance(value, str) and len(value) > 20:
        raise BylawsError(field, f"{value[:20]!r}... is not a percentage")
    try:
        number = Decimal(str(value).strip().removesuffix("%").strip())
    except InvalidOperation:
        raise BylawsError(field, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise BylawsError(field, f"{value!r} is not a number")
    bp = number * 100
    if bp != bp.to_integral_value():
        raise BylawsError(field, f"{value!r} has more than two decimals")
    return int(bp)


BYLAWS_KEYS = _KEYS = {
    "version",
    "effective_from",
    "reserves",
    "indivisible_reserves",
    "social_fund",
    "members",
    "patronage_basis",
    "mixed_weights",
    "cash",
    "minimum_cash",
    "collective_account",
    "acceptance",
    "assembly_quorum",
    "assembly_threshold",
}
_REQUIRED = ("version", "reserves", "indivisible_reserves", "social_fund", "members", "cash")


def bylaws_from_dict(data: Mapping[str, Any]) -> Bylaws:
    """Build and validate `Bylaws` from the BYLAWS.json object."""
    if not isinstance(data, Mapping):
        raise BylawsError("bylaws", "expected a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise BylawsError(unknown[0], "unknown key")
    for key in (*_REQUIRED, "patronage_basis"):
        if key not in data:
            raise BylawsError(key, "missing")
    try:
        basis = PatronageBasis(data["patronage_basis"])
    except ValueError:
        raise BylawsError(
            "patronage_basis", f"{data['patronage_basis']!r} is not hours, purchases or mixed"
        ) from None
    hours_w, purchases_w = {
        PatronageBasis.HOURS: (FULL, 0),
        PatronageBasis.PURCHASES: (0, FULL),
        PatronageBasis.MIXED: (0, 0),
    }[basis]
    if basis == PatronageBasis.MIXED:
        weights = data.get("mixed_weights")
        if not isinstance(weights, Mapping) or set(weights) != {"hours", "purchases"}:
            raise BylawsError("mixed_weights", 'needs {"hours": "..", "purchases": ".."}')
        hours_w = parse_percent(weights["hours"], "mixed_weights.hours")
        purchases_w = parse_percent(weights["purchases"], "mixed_weights.purchases")
    elif "mixed_weights" in data:
        raise BylawsError("mixed_weights", f"only allowed with basis 'mixed', not {basis.value!r}")
    for key in ("version", "effective_from", "collective_account"):
        if key in data and not isinstance(data[key], str):
            raise BylawsError(key, "must be a string")
        if len(data.get(key, "")) > MAX_LABEL:
            raise BylawsError(key, f"longer than {MAX_LABEL} characters")
    try:
        acceptance = Acceptance(data.get("acceptance", Acceptance.STEWARD.value))
    except ValueError:
        raise BylawsError(
            "acceptance", f"{data['acceptance']!r} is not steward or general-assembly"
        ) from None
    assembly_keys = sorted({"assembly_quorum", "assembly_threshold"} & set(data))
    if assembly_keys and acceptance != Acceptance.GENERAL_ASSEMBLY:
        raise BylawsError(assembly_keys[0], "only allowed with acceptance 'general-assembly'")
    return Bylaws(
        version=data["version"],
        effective_from=data.get("effective_from", ""),
        reserves_bp=parse_percent(data["reserves"], "reserves"),
        indivisible_reserves_bp=parse_percent(data["indivisible_reserves"], "indivisible_reserves"),
        social_fund_bp=parse_percent(data["social_fund"], "social_fund"),
        members_bp=parse_percent(data["members"], "members"),
        patronage_basis=basis,
        hours_weight_bp=hours_w,
        purchases_weight_bp=purchases_w,
        cash_bp=parse_percent(data["cash"], "cash"),
        minimum_cash_bp=parse_percent(data.get("minimum_cash", "0"), "minimum_cash"),
        collective_account=data.get("collective_account", "collective"),
        acceptance=acceptance,
        assembly_quorum_bp=parse_percent(data.get("assembly_quorum", "0"), "assembly_quorum"),
        assembly_threshold_bp=parse_percent(
            data.get("assembly_threshold", "50"), "assembly_threshold"
        ),
    )
