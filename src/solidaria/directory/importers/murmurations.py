"""Murmurations organisation profiles: one profile, a JSON array of them, or an index
answer (`{"data": [...]}`). Each profile is validated against
organizations_schema-v1.0.0; the "line" of a rejection is the profile's position."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from solidaria.core.textfiles import json_path
from solidaria.directory.exporters import murmurations as schema
from solidaria.directory.importers.base import FileRefused, Record, Rejected, Row, read_json

SOURCE = "murmurations"
LICENCE = "Murmurations profile (published by the organisation)"
COUNTRY_ALIASES: tuple[tuple[str, str], ...] = ()


def _profiles(data: Any) -> tuple[list[Any], tuple[str, ...]]:
    """The profiles and the JSON path of their list."""
    if isinstance(data, list):
        return data, ()
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return list(data["data"]), ("data",)
    return [data], ()


def read(path: Path) -> Iterator[Row]:
    data = read_json(path)
    profiles, at = _profiles(data)
    if not profiles:
        raise FileRefused(json_path(*at), "no profiles: nothing to import")
    single = isinstance(data, dict) and not at
    for index, item in enumerate(profiles, start=1):
        where = "$" if single else json_path(*at, index - 1)
        if not isinstance(item, dict):
            yield Rejected(index, "profile is not a JSON object", where=where)
            continue
        item.setdefault("linked_schemas", [schema.SCHEMA_NAME])
        problems = schema.errors(item)
        if problems:
            problem = problems[0] if len(problems[0]) < 200 else problems[0][:200] + "..."
            field = problem.split(":", 1)[0] if ":" in problem else ""
            yield Rejected(index, f"invalid profile: {problem}", field=field, where=where)
            continue
        geo = item.get("geolocation") or {}
        contact = item.get("contact_details") or {}
        source_id = (
            str(item.get("profile_url") or item.get("unique_id") or item.get("primary_url") or "")
            or f"{item.get('name', '')}#{index}"
        )
        yield Record(
            line=index,
            where=where,
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
