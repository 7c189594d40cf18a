"""Dispatch an export to its format module."""

from __future__ import annotations

from pathlib import Path

from solidaria.directory.exporters import essglobal, murmurations, tabular
from solidaria.directory.models import Organisation, Provenance
from solidaria.directory.taxonomy import labels

FORMATS = ["csv", "geojson", "essglobal-ttl", "essglobal-jsonld", "murmurations"]


def sources_by_org() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for org_id, source, source_id in Provenance.objects.values_list(
        "organisation_id", "source", "source_id"
    ).iterator(chunk_size=5000):
        found.setdefault(org_id, []).append(f"{source}:{source_id}")
    return found


def export(*, fmt: str, out: Path, everything: bool = False) -> int:
    qs = Organisation.objects.order_by("id")
    if not everything:
        qs = qs.filter(status=Organisation.Status.CONFIRMED)
    orgs = qs.iterator(chunk_size=2000)
    if fmt == "csv":
        return tabular.write_csv(orgs, out, sources=sources_by_org())
    if fmt == "geojson":
        return tabular.write_geojson(orgs, out, sources=sources_by_org())
    if fmt == "essglobal-ttl":
        return essglobal.write(orgs, out, fmt="turtle", sources=sources_by_org())
    if fmt == "essglobal-jsonld":
        return essglobal.write(orgs, out, fmt="json-ld", sources=sources_by_org())
    if fmt == "murmurations":
        names = labels(["activities-ica", "activities", "organisational-structure"], "en")
        return murmurations.write(orgs, out, tag_labels=names)
    raise ValueError(f"unknown format {fmt}")
