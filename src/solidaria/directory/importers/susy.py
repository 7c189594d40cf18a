"""SUSY / SSEDAS partner initiatives (TransforMap GeoJSON, Public Domain).

Countries are written many ways (UK, uk, England, Deutschland, Österreich...) and
Slovakia as `SR`; `type_of_initiative` holds TransforMap tags separated by ';' that
transformap_ssedas_taxonomy.json names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from solidaria.core.textfiles import json_path
from solidaria.directory.importers.base import FileRefused, Record, Rejected, Row, read_json

SOURCE = "susy"
LICENCE = "Public Domain (TransforMap SSEDAS)"
COUNTRY_ALIASES: tuple[tuple[str, str], ...] = (("sr", "SK"),)
TAXONOMY_FILE = "transformap_ssedas_taxonomy.json"


@lru_cache(maxsize=4)
def tag_labels(directory: str) -> dict[str, str]:
    path = Path(directory) / TAXONOMY_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    labels: dict[str, str] = {}
    for binding in data.get("results", {}).get("bindings", []):
        tag = binding.get("type_of_initiative_tag", {}).get("value")
        if tag:
            labels[tag] = binding.get("itemLabel", {}).get("value", tag)
    return labels


def read(path: Path) -> Iterator[Row]:
    """Each feature as a Record, or Rejected with its JSON path ("$.features[3]") when it
    is not an object with object properties; FileRefused when the file is not GeoJSON."""
    data = read_json(path)
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise FileRefused("$.features" if isinstance(data, dict) else "$", "no 'features' list")
    if not features:
        raise FileRefused("$.features", "the list of features is empty: nothing to import")
    labels = tag_labels(str(path.parent))
    for index, feature in enumerate(features, start=1):
        where = json_path("features", index - 1)
        if not isinstance(feature, dict):
            yield Rejected(index, "the feature is not a JSON object", where=where)
            continue
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        for name, value in (("properties", props), ("geometry", geometry)):
            if not isinstance(value, dict):
                yield Rejected(index, f"{name} is not a JSON object", field=name, where=where)
                break
        else:
            yield _record(index, where, props, geometry, labels)


def _record(
    index: int, where: str, props: dict[str, Any], geometry: dict[str, Any], labels: dict[str, str]
) -> Record:
    coords = geometry.get("coordinates") if geometry.get("type") == "Point" else None
    lon, lat = (
        (coords[0], coords[1]) if isinstance(coords, list) and len(coords) >= 2 else (None, None)
    )
    raw_tags = [t.strip() for t in str(props.get("type_of_initiative") or "").split(";")]
    tags = [labels.get(t, t) for t in raw_tags if t]
    street = " ".join(
        p
        for p in [str(props.get("addr:street") or ""), str(props.get("addr:housenumber") or "")]
        if p
    )
    return Record(
        line=index,
        where=where,
        source_id=str(props.get("_id") or props.get("_uri") or f"feature-{index}"),
        name=str(props.get("name") or ""),
        description=str(props.get("description") or ""),
        website=str(props.get("contact:website") or props.get("website") or ""),
        email=str(props.get("contact:email") or ""),
        phone=str(props.get("contact:phone") or ""),
        street_address=street,
        locality=str(props.get("addr:city") or ""),
        postcode=str(props.get("addr:postcode") or ""),
        country_raw=str(props.get("addr:country") or ""),
        latitude=lat,
        longitude=lon,
        tags=list(dict.fromkeys(tags)),
    )
