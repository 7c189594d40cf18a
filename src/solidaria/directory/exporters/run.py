"""Dispatch an export to its format module.

Every format is written to a temporary file next to the target and renamed over it at
the end (os.replace, atomic on one file system): a failed export leaves no partial file
and an earlier export at the same path intact."""

from __future__ import annotations

import os
import tempfile
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


def withheld_licences() -> list[str]:
    """Licences of imported entries that may not be redistributed in bulk: the public
    downloads (directory/downloads.py) leave those entries out."""
    from solidaria.directory.importers import dotcoop

    return [dotcoop.LICENCE]


def export(
    *, fmt: str, out: Path, everything: bool = False, redistributable_only: bool = False
) -> int:
    """Write the directory in `fmt` to `out`; returns how many organisations.
    `redistributable_only` leaves out entries whose licence forbids bulk redistribution."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}")
    handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(handle)
    partial = Path(name)
    try:
        count = _write(
            fmt=fmt, out=partial, everything=everything, redistributable_only=redistributable_only
        )
        os.chmod(partial, _file_mode(out))
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def _file_mode(out: Path) -> int:
    """The mode the file would get if written directly (mkstemp makes it owner-only)."""
    if out.exists():
        return out.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write(*, fmt: str, out: Path, everything: bool, redistributable_only: bool = False) -> int:
    qs = Organisation.objects.order_by("id")
    if not everything:
        qs = qs.filter(status=Organisation.Status.CONFIRMED)
    if redistributable_only:
        qs = qs.exclude(licence__in=withheld_licences())
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
