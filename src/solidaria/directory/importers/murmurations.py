"""Murmurations organisation profiles: one profile, a JSON array of them, or an index
answer (`{"data": [...]}`). Each profile is validated against
organizations_schema-v1.0.0; the "line" of a rejection is the profile's position."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from solidaria.directory.exporters import murmurations as schema
from solidaria.directory.importers.base import Record, Rejected, Row

SOURCE = "murmurations"
LICENCE = "Murmurations profile (published by the organisation)"
COUNTRY_ALIASES: tuple[tuple[str, str], ...] = ()


def _profiles(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return list(data["data"])
    return [data]


def read(path: Path) -> Iterator[Row]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield Rejected(1, f"not JSON: {exc}")
        return
    for index, item in enumerate(_profiles(data), start=1):
        if not isinstance(item, dict):
            yield Rejected(index, "profile is not a JSON object")
            continue
        item.setdefault("linked_schemas", [schema.SCHEMA_NAME])
        problems = schema.errors(item)
        if problems:
            yield Rejected(index, f"invalid profile: {problems[0]}")
            continue
        geo = item.get("geolocation") or {}
        contact = item.get("contact_details") or {}
        source_id = (
            str(item.get("profile_url") or item.get("unique_id") or item.get("primary_url") or "")
            or f"{item.get('name', '')}#{index}"
        )
        yield Record(
            line=index,
            source_id=source_id,
            name=str(item.get("name") or ""),
            description=str(item.get("description") or item.get("mission") or ""),
            website=str(item.get("primary_url") or ""),
            email=str(contact.get("email") or ""),
            phone=str(item.get("telephone") or ""),
            street_address=str(item.get("full_address") or ""),
            country_raw=str(item.get("country_iso_3166") or item.get("country_name") or ""),
            latitude=geo.get("lat"),
            longitude=geo.get("lon"),
            tags=[str(t) for t in item.get("tags") or []],
        )
