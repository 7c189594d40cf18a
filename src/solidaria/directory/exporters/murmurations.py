"""Murmurations organisation profiles (organizations_schema-v1.0.0), validated offline.

The schema's properties say `{"$ref": "../fields/name.json"}`, relative to its `$id`
(https://test-library.murmurations.network/v2/schemas/...). We resolve every
`.../fields/<name>.json` to the copy in the bundled data/murmurations/fields, inlined once
into the schema (any other reference goes to a local `referencing` registry), so
validation never touches the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

from solidaria.core.paths import bundled_data_dir

SCHEMA_NAME = "organizations_schema-v1.0.0"


def _murmurations_dir() -> Path:
    return bundled_data_dir() / "murmurations"


@lru_cache(maxsize=2)
def validator(root: str | None = None) -> Draft7Validator:
    base = Path(root) if root else _murmurations_dir()
    schema = json.loads((base / "schemas" / f"{SCHEMA_NAME}.json").read_text(encoding="utf-8"))

    def retrieve(uri: str) -> Resource[Any]:
        name = uri.rstrip("/").rsplit("/", 1)[-1]
        folder = "fields" if "/fields/" in uri else "schemas"
        path = base / folder / name
        if not name.endswith(".json"):
            path = path.with_suffix(".json")
        if not path.exists():
            raise NoSuchResource(ref=uri)
        return Resource.from_contents(
            json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT7
        )

    # The field files are inlined where the schema (and the fields themselves) refer to
    # them, once: resolving `$ref`s through the registry on every profile made validating
    # the 13,374 demo profiles take 20 s. A reference we cannot inline stays for the
    # registry to resolve.
    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("../fields/"):
                path = base / "fields" / ref.rsplit("/", 1)[-1]
                if path.exists():
                    # draft 7 ignores a `$ref`'s siblings (title, description): notes only
                    field = json.loads(path.read_text(encoding="utf-8"))
                    field.pop("$id", None)
                    field.pop("$schema", None)
                    return inline(field)
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    return Draft7Validator(inline(schema), registry=registry)


def errors(profile: dict[str, Any]) -> list[str]:
    """Human-readable validation errors (empty list when the profile is valid)."""
    found = sorted(validator().iter_errors(profile), key=lambda e: list(e.absolute_path))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(profile)'}: {e.message}" for e in found
    ]


def _address(org: Any) -> str:
    parts = [org.street_address, org.locality, org.region, org.postcode, org.country]
    return ", ".join(p for p in parts if p)


def profile(org: Any, *, tag_labels: dict[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """The profile of one organisation, only with fields that have values."""
    data: dict[str, Any] = {"linked_schemas": [SCHEMA_NAME], "name": org.name[:200]}
    if org.website:
        data["primary_url"] = org.website
    if org.description:
        data["description"] = org.description
    tags: list[str] = []
    for field_name, scheme in (
        ("ica_activity", "activities-ica"),
        ("activity", "activities"),
        ("structure", "organisational-structure"),
    ):
        code = getattr(org, field_name)
        if code:
            tags.append((tag_labels or {}).get((scheme, code), code)[:100])
    tags.extend(t[:100] for t in org.tags)
    tags = list(dict.fromkeys(t for t in tags if t))[:100]
    if tags:
        data["tags"] = tags
    address = _address(org)
    if address:
        data["full_address"] = address
    if org.country:
        data["country_iso_3166"] = org.country
    if org.latitude is not None and org.longitude is not None:
        data["geolocation"] = {"lat": org.latitude, "lon": org.longitude}
    if org.email:
        data["contact_details"] = {"email": org.email}
    if org.phone:
        data["telephone"] = org.phone
    status = {"confirmed": "active", "archived": "completed"}.get(org.status)
    if status:
        data["status"] = status
    return data


def write(orgs: Iterable[Any], out: Path, *, tag_labels: dict[tuple[str, str], str]) -> int:
    """A JSON array of profiles, each validated; returns how many were written."""
    profiles = []
    for org in orgs:
        item = profile(org, tag_labels=tag_labels)
        problems = errors(item)
        if problems:
            raise ValueError(f"organisation {org.pk}: {problems[0]}")
        profiles.append(item)
    out.write_text(json.dumps(profiles, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(profiles)
