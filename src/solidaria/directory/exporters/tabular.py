"""CSV and GeoJSON exports."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from solidaria.core.textfiles import safe_cell as neutralised  # CSV formula injection
from solidaria.directory.models import DESCRIPTIVE_FIELDS

COLUMNS = ["id", *DESCRIPTIVE_FIELDS, "other_websites", "tags", "licence", "status", "sources"]


def _row(org: Any, sources: dict[int, list[str]]) -> dict[str, Any]:
    row = {c: getattr(org, c, "") for c in COLUMNS if c not in ("id", "sources")}
    row["id"] = org.pk
    for key in ("qualifiers", "themes", "other_websites", "tags"):
        row[key] = ";".join(row[key])
    row["sources"] = ";".join(sources.get(org.pk, []))
    return row


def write_csv(orgs: Iterable[Any], out: Path, *, sources: dict[int, list[str]]) -> int:
    count = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for org in orgs:
            writer.writerow({k: neutralised(v) for k, v in _row(org, sources).items()})
            count += 1
    return count


def write_geojson(orgs: Iterable[Any], out: Path, *, sources: dict[int, list[str]]) -> int:
    features = []
    for org in orgs:
        props = _row(org, sources)
        geometry = (
            {"type": "Point", "coordinates": [org.longitude, org.latitude]}
            if org.latitude is not None
            else None
        )
        for key in ("latitude", "longitude"):
            props.pop(key)
        features.append(
            {"type": "Feature", "id": org.pk, "geometry": geometry, "properties": props}
        )
    out.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return len(features)
