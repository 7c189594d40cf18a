"""Open data: the directory as files anyone may download, from the web and the API.

The files are the ones `solidaria export directory` writes (`exporters.run.export`, the
same code), for the confirmed entries whose licence allows redistribution: each is
written to a temporary file, opened, unlinked and streamed, so a download holds no
memory beyond a chunk and leaves nothing behind. Each entry carries its own licence (the
`licence` column or property); the page lists them with the sources to credit.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from solidaria.core.errors import NotFound
from solidaria.directory.exporters.run import FORMATS, export, withheld_licences
from solidaria.directory.models import Organisation, Provenance
from solidaria.directory.queries import SOURCES, VOCABULARY_ATTRIBUTION


@dataclass(frozen=True)
class Format:
    code: str  # as `solidaria export directory --format`
    filename: str
    content_type: str
    label: object  # a lazy translated string
    about: object


DOWNLOADS = {
    f.code: f
    for f in (
        Format(
            "csv",
            "directory.csv",
            "text/csv; charset=utf-8",
            _("CSV"),
            _("A table for spreadsheets, one organisation a row."),
        ),
        Format(
            "geojson",
            "directory.geojson",
            "application/geo+json",
            _("GeoJSON"),
            _("Points for maps and GIS tools."),
        ),
        Format(
            "essglobal-jsonld",
            "directory.jsonld",
            "application/ld+json",
            _("ESSGlobal JSON-LD"),
            _("Linked data in the solidarity economy's ESSGlobal vocabulary."),
        ),
        Format(
            "essglobal-ttl",
            "directory.ttl",
            "text/turtle; charset=utf-8",
            _("ESSGlobal Turtle"),
            _("The same linked data as RDF Turtle."),
        ),
        Format(
            "murmurations",
            "directory-murmurations.json",
            "application/json",
            _("Murmurations"),
            _("Profiles in the Murmurations organisations schema, for other maps and indexes."),
        ),
    )
}
assert set(DOWNLOADS) == set(FORMATS), "every export format is downloadable"


def file_response(fmt: str) -> FileResponse:
    """The export in `fmt`, streamed from a temporary file already unlinked."""
    spec = DOWNLOADS.get(fmt)
    if spec is None:
        raise NotFound(str(_("There is no such download format.")))
    with tempfile.TemporaryDirectory(prefix="solidaria-download-") as folder:
        out = Path(folder) / spec.filename
        export(fmt=fmt, out=out, redistributable_only=True)
        handle = out.open("rb")
        os.unlink(out)  # the open handle keeps the data until the response closes it
    response = FileResponse(
        handle, as_attachment=True, filename=spec.filename, content_type=spec.content_type
    )
    response["Link"] = f'<{settings.SOLIDARIA["PUBLIC_URL"]}/directory/downloads/>; rel="license"'
    response["Cache-Control"] = "public, max-age=300"
    return response


def licences() -> list[dict[str, object]]:
    """How many downloadable entries carry each licence (an empty one: the network's own)."""
    rows = (
        Organisation.objects.filter(status=Organisation.Status.CONFIRMED)
        .exclude(licence__in=withheld_licences())
        .values("licence")
        .annotate(n=Count("id"))
        .order_by("-n", "licence")
    )
    return [{"licence": r["licence"], "count": r["n"]} for r in rows]


def sources() -> list[dict[str, object]]:
    """The directories the downloadable entries came from, to credit, with how many."""
    rows = (
        Provenance.objects.filter(organisation__status=Organisation.Status.CONFIRMED)
        .exclude(organisation__licence__in=withheld_licences())
        .values("source")
        .annotate(n=Count("organisation", distinct=True))
        .order_by("-n", "source")
    )
    return [
        {
            **SOURCES.get(r["source"], {"name": r["source"], "url": "", "licence": ""}),
            "count": r["n"],
        }
        for r in rows
    ]


@require_GET
def downloads_page(request: HttpRequest) -> HttpResponse:
    withheld = Organisation.objects.filter(
        status=Organisation.Status.CONFIRMED, licence__in=withheld_licences()
    ).count()
    return render(
        request,
        "directory/downloads.html",
        {
            "formats": list(DOWNLOADS.values()),
            "licences": licences(),
            "sources": sources(),
            "vocabulary": VOCABULARY_ATTRIBUTION,
            "withheld": withheld,
            "network_name": settings.SOLIDARIA["NETWORK_NAME"],
        },
    )


@require_GET
def download(request: HttpRequest, fmt: str) -> FileResponse:
    return file_response(fmt)
