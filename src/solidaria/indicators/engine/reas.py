"""The REAS Balance Social 2023 codebook (CSV) as a `questionnaire` catalogue.

The codebook's rows are, in order: general fields (territory, NIF, name), then headings
and codes. A heading in capitals is a principle when it is one of the five REAS
principles (or "DATOS GENERALES"), else a section of the current principle. A code
`q...` is a question, `ind...` an indicator; the rows right after it labelled
"mujeres", "hombres", "no binarias" with the suffixes d, h, a are its split by gender.
Real-file quirks: the file is not all valid UTF-8 (bad bytes are replaced), some labels
are the spreadsheet error `#NOMBRE?` (kept out of the label and noted), one row has no
code at all, and some headings only introduce sub-headings (both skipped).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from solidaria.indicators.engine.catalogue import FORMAT

__all__ = ["PRINCIPLES", "reas_catalogue_from_csv"]

PRINCIPLES = {
    "DATOS GENERALES": "general",
    "ECONOMÍA Y REPARTO JUSTO DE LA RIQUEZA": "economy",
    "EQUIDAD Y DEMOCRACIA": "equity",
    "SOSTENIBILIDAD ECOLÓGICA": "ecology",
    "COOPERACIÓN Y COMPROMISO CON EL ENTORNO": "cooperation",
    "TRABAJO DIGNO": "decent-work",
}
GENDER_LABELS = {"d": "mujeres", "h": "hombres", "a": "no binarias"}
CODE = re.compile(r"^(q|ind)[0-9A-Za-z]+$")
BROKEN_LABEL = "#NOMBRE?"


def _label(text: str) -> tuple[str, str]:
    cleaned = text.replace("\ufffd", "").strip()
    if cleaned == BROKEN_LABEL:
        return "", "label lost in the source file (spreadsheet error #NOMBRE?)"
    return text.strip(), ""


def reas_catalogue_from_csv(raw: bytes, *, version: str = "2023") -> dict[str, Any]:
    """The codebook as a catalogue document (validate it with `catalogue_from_dict`)."""
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8", errors="replace"))))
    groups: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for row in rows:
        head = row[0].strip() if row else ""
        label = row[1] if len(row) > 1 else ""
        if head in PRINCIPLES:
            groups.append({"code": PRINCIPLES[head], "name": head, "sections": []})
            continue
        if not groups:
            continue  # the general fields before the first heading
        if not head:
            continue  # a row without a code
        if not CODE.match(head):
            groups[-1]["sections"].append({"name": head, "items": []})
            items = groups[-1]["sections"][-1]["items"]
            continue
        parent = items[-1] if items else None
        suffix = head[-1]
        if (
            parent is not None
            and head == parent["code"] + suffix
            and GENDER_LABELS.get(suffix) == label.strip().lower()
        ):
            parent["split_by_gender"] = True
            continue
        if not groups[-1]["sections"]:
            groups[-1]["sections"].append({"name": groups[-1]["name"], "items": []})
            items = groups[-1]["sections"][-1]["items"]
        text, note = _label(label)
        item: dict[str, Any] = {
            "code": head,
            "label": text or head,
            "type": "indicator" if head.startswith("ind") else "question",
        }
        if note:
            item["note"] = note
        items.append(item)
    for group in groups:
        group["sections"] = [s for s in group["sections"] if s["items"]]
    return {
        "format": FORMAT,
        "kind": "questionnaire",
        "id": "reas-balance-social",
        "version": version,
        "title": "REAS Balance Social (social audit of the solidarity economy)",
        "source": "Mercado-Social-de-Madrid/geninfografia data/infografias_sample.csv @ bfb9015",
        "licence": "GPL-3.0",
        "groups": groups,
    }
