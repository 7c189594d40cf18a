"""Catalogues: the versioned data an assessment is filled in against.

A catalogue is a JSON document (`format: "solidaria-catalogue/1"`) of one of three kinds:

- `ecg`: an Economy for the Common Good balance sheet: stakeholder groups, values and
  20 topics, each with positive and negative aspects (positive ones carry a weight);
  the estimation ranges, the points shared out and the floor of the total; the names
  of the country and industry risk tables it is weighted with.
- `questionnaire`: a social audit such as the REAS Balance Social, or a catalogue a
  network writes itself: groups (principles) of sections of items; an item is a
  `question` (entered) or an `indicator` (computed or entered), optionally split by
  gender (women `d`, men `h`, non-binary `a`, as the REAS codebook suffixes them).
- `network`: the indicators a network computes from its own data, each with its unit,
  what it is computed per, its source, its period and its formula (`engine/network.py`).

`catalogue_from_dict` validates a document and names the entry at fault
(`topics[3].aspects[1] (A4.2): ...`); `catalogue_to_dict` writes it back, so a network
exports a catalogue, edits it and imports it again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from solidaria.indicators.engine.ecg import AspectSpec, TopicSpec

__all__ = [
    "FORMAT",
    "Catalogue",
    "CatalogueError",
    "EcgCatalogue",
    "Group",
    "Item",
    "NetworkCatalogue",
    "NetworkIndicator",
    "Questionnaire",
    "Section",
    "catalogue_from_dict",
    "catalogue_to_dict",
]

FORMAT = "solidaria-catalogue/1"
KINDS = ("ecg", "questionnaire", "network")
UNITS = ("amount", "minutes", "share", "ratio", "count")
PER = ("currency", "process", "poll", "network")
ITEM_TYPES = ("question", "indicator")
GENDER_SUFFIXES = ("d", "h", "a")  # women, men, non-binary (REAS codebook)
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


class CatalogueError(ValueError):
    """A catalogue document that does not validate; `where` names the entry."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


@dataclass(frozen=True, slots=True)
class EcgCatalogue:
    id: str
    version: str
    title: str
    source: str
    licence: str
    stakeholders: tuple[tuple[str, str], ...]  # (code, name)
    values: tuple[tuple[str, str], ...]
    topics: tuple[TopicSpec, ...]
    regions_table: str
    industries_table: str
    kind: str = "ecg"


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    label: str
    type: str  # "question" | "indicator"
    split_by_gender: bool = False
    unit: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Group:
    code: str
    name: str
    sections: tuple[Section, ...]


@dataclass(frozen=True, slots=True)
class Questionnaire:
    id: str
    version: str
    title: str
    source: str
    licence: str
    groups: tuple[Group, ...]
    kind: str = "questionnaire"

    def items(self) -> list[Item]:
        return [i for g in self.groups for s in g.sections for i in s.items]


@dataclass(frozen=True, slots=True)
class NetworkIndicator:
    code: str
    unit: str
    per: str
    source: str
    period: str
    formula: str


@dataclass(frozen=True, slots=True)
class NetworkCatalogue:
    id: str
    version: str
    title: str
    source: str
    licence: str
    indicators: tuple[NetworkIndicator, ...]
    kind: str = "network"


Catalogue = EcgCatalogue | Questionnaire | NetworkCatalogue


def _get(obj: Any, key: str, where: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if not isinstance(obj, dict):
        raise CatalogueError("expected an object", where)
    if key not in obj:
        if default is ...:
            raise CatalogueError(f"missing {key!r}", where)
        return default
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise CatalogueError(f"{key!r} must be {names}, not {type(value).__name__}", where)
    return value


def _text(obj: Any, key: str, where: str, default: Any = ...) -> str:
    value: str = _get(obj, key, where, str, default)
    return value


def _code(obj: Any, where: str) -> str:
    code = _text(obj, "code", where)
    if not CODE.match(code):
        raise CatalogueError(f"code {code!r} is not a short code (letters, digits, . _ -)", where)
    return code


def _number(value: Any, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, str, float, Decimal)):
        raise CatalogueError(f"{value!r} is not a number", where)
    try:
        return Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise CatalogueError(f"{value!r} is not a number", where) from None


def _list(obj: Any, key: str, where: str) -> list[Any]:
    value: list[Any] = _get(obj, key, where, list)
    if not value:
        raise CatalogueError(f"{key!r} is empty", where)
    return value


def _ecg(data: Mapping[str, Any], head: dict[str, str]) -> EcgCatalogue:
    stakeholders = []
    for i, s in enumerate(_list(data, "stakeholders", "")):
        where = f"stakeholders[{i}]"
        stakeholders.append((_code(s, where), _text(s, "name", where)))
    groups = {c for c, _ in stakeholders}
    values = []
    for i, v in enumerate(_list(data, "values", "")):
        where = f"values[{i}]"
        values.append((_code(v, where), _text(v, "name", where)))
    seen: set[str] = set()
    topics = []
    for i, t in enumerate(_list(data, "topics", "")):
        where = f"topics[{i}]"
        code = _code(t, where)
        where = f"{where} ({code})"
        if code in seen:
            raise CatalogueError("code used twice", where)
        seen.add(code)
        if code[0] not in groups:
            raise CatalogueError(f"stakeholder group {code[0]!r} is not listed", where)
        aspects = []
        for j, a in enumerate(_list(t, "aspects", where)):
            a_where = f"topics[{i}].aspects[{j}]"
            a_code = _code(a, a_where)
            a_where = f"{a_where} ({a_code})"
            if a_code in seen:
                raise CatalogueError("code used twice", a_where)
            if not a_code.startswith(code + "."):
                raise CatalogueError(f"an aspect of {code} must be coded {code}.N", a_where)
            seen.add(a_code)
            positive = _get(a, "positive", a_where, bool)
            weight = _number(a.get("weight", 1), f"{a_where}.weight")
            if weight < 0:
                raise CatalogueError("weight is negative", a_where)
            aspects.append(AspectSpec(a_code, _text(a, "name", a_where), positive, weight))
        if not any(a.is_positive for a in aspects):
            raise CatalogueError("a topic needs at least one positive aspect", where)
        topics.append(TopicSpec(code, _text(t, "name", where), tuple(aspects)))
    tables = _get(data, "tables", "", dict)
    return EcgCatalogue(
        **head,
        stakeholders=tuple(stakeholders),
        values=tuple(values),
        topics=tuple(topics),
        regions_table=_text(tables, "regions", "tables"),
        industries_table=_text(tables, "industries", "tables"),
    )


def _questionnaire(data: Mapping[str, Any], head: dict[str, str]) -> Questionnaire:
    seen: set[str] = set()
    groups = []
    for i, g in enumerate(_list(data, "groups", "")):
        g_where = f"groups[{i}]"
        g_code = _code(g, g_where)
        sections = []
        for j, s in enumerate(_list(g, "sections", f"{g_where} ({g_code})")):
            s_where = f"groups[{i}].sections[{j}]"
            items = []
            for k, it in enumerate(_list(s, "items", s_where)):
                where = f"{s_where}.items[{k}]"
                code = _code(it, where)
                where = f"{where} ({code})"
                if code in seen:
                    raise CatalogueError("code used twice", where)
                seen.add(code)
                kind = _text(it, "type", where)
                if kind not in ITEM_TYPES:
                    raise CatalogueError(
                        f"type {kind!r} is not one of {', '.join(ITEM_TYPES)}", where
                    )
                items.append(
                    Item(
                        code=code,
                        label=_text(it, "label", where),
                        type=kind,
                        split_by_gender=_get(it, "split_by_gender", where, bool, False),
                        unit=_text(it, "unit", where, ""),
                        note=_text(it, "note", where, ""),
                    )
                )
            sections.append(Section(_text(s, "name", s_where), tuple(items)))
        groups.append(Group(g_code, _text(g, "name", g_where), tuple(sections)))
    return Questionnaire(**head, groups=tuple(groups))


def _network(data: Mapping[str, Any], head: dict[str, str]) -> NetworkCatalogue:
    seen: set[str] = set()
    indicators = []
    for i, it in enumerate(_list(data, "indicators", "")):
        where = f"indicators[{i}]"
        code = _code(it, where)
        where = f"{where} ({code})"
        if code in seen:
            raise CatalogueError("code used twice", where)
        seen.add(code)
        fields = {k: _text(it, k, where) for k in ("unit", "per", "source", "period", "formula")}
        for key, allowed in (("unit", UNITS), ("per", PER)):
            if fields[key] not in allowed:
                raise CatalogueError(
                    f"{key} {fields[key]!r} is not one of {', '.join(allowed)}", where
                )
        indicators.append(NetworkIndicator(code=code, **fields))
    return NetworkCatalogue(**head, indicators=tuple(indicators))


def catalogue_from_dict(data: Any) -> Catalogue:
    """Validate a catalogue document; `CatalogueError` names the entry at fault."""
    if not isinstance(data, dict):
        raise CatalogueError("a catalogue is a JSON object")
    fmt = _text(data, "format", "")
    if fmt != FORMAT:
        raise CatalogueError(f"format {fmt!r} is not {FORMAT!r}", "format")
    kind = _text(data, "kind", "")
    if kind not in KINDS:
        raise CatalogueError(f"kind {kind!r} is not one of {', '.join(KINDS)}", "kind")
    head = {
        "id": _code(dict(code=_text(data, "id", "")), "id"),
        "version": _text(data, "version", ""),
        "title": _text(data, "title", ""),
        "source": _text(data, "source", "", ""),
        "licence": _text(data, "licence", "", ""),
    }
    if not head["version"].strip():
        raise CatalogueError("version is empty", "version")
    if kind == "ecg":
        return _ecg(data, head)
    return _questionnaire(data, head) if kind == "questionnaire" else _network(data, head)


def _num(value: Fraction) -> int | str:
    return (
        value.numerator
        if value.denominator == 1
        else str(Decimal(value.numerator) / value.denominator)
    )


def catalogue_to_dict(cat: Catalogue) -> dict[str, Any]:
    """The document `catalogue_from_dict` reads back into an equal catalogue."""
    out: dict[str, Any] = {
        "format": FORMAT,
        "kind": cat.kind,
        "id": cat.id,
        "version": cat.version,
        "title": cat.title,
        "source": cat.source,
        "licence": cat.licence,
    }
    if isinstance(cat, EcgCatalogue):
        out["tables"] = {"regions": cat.regions_table, "industries": cat.industries_table}
        out["stakeholders"] = [{"code": c, "name": n} for c, n in cat.stakeholders]
        out["values"] = [{"code": c, "name": n} for c, n in cat.values]
        out["topics"] = [
            {
                "code": t.code,
                "name": t.name,
                "aspects": [
                    {"code": a.code, "name": a.name, "positive": a.is_positive}
                    | ({"weight": _num(a.weight)} if a.is_positive else {})
                    for a in t.aspects
                ],
            }
            for t in cat.topics
        ]
        return out
    if isinstance(cat, NetworkCatalogue):
        out["indicators"] = [
            {
                "code": i.code,
                "unit": i.unit,
                "per": i.per,
                "source": i.source,
                "period": i.period,
                "formula": i.formula,
            }
            for i in cat.indicators
        ]
        return out
    out["groups"] = [
        {
            "code": g.code,
            "name": g.name,
            "sections": [
                {
                    "name": s.name,
                    "items": [
                        {"code": i.code, "label": i.label, "type": i.type}
                        | ({"split_by_gender": True} if i.split_by_gender else {})
                        | ({"unit": i.unit} if i.unit else {})
                        | ({"note": i.note} if i.note else {})
                        for i in s.items
                    ],
                }
                for s in g.sections
            ],
        }
        for g in cat.groups
    ]
    return out
