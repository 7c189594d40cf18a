"""Reads shared by pages, API and exports: who may see what, labels, attribution."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from solidaria.core.errors import NotFound
from solidaria.core.permissions import is_authenticated, is_steward
from solidaria.directory.models import Organisation, PendingEdit
from solidaria.directory.taxonomy import FIELD_SCHEMES
from solidaria.directory.taxonomy import labels as concept_labels

PUBLIC_STATUSES = {Organisation.Status.CONFIRMED, Organisation.Status.ARCHIVED}

# Where the demo data comes from, with the licence each source states.
SOURCES: dict[str, dict[str, Any]] = {
    "coopsuk": {
        "name": "Co-operatives UK open data",
        "url": "https://github.com/DigitalCommons/coopsuk",
        "licence": "ODC-By 1.0",
        "licence_url": "https://opendatacommons.org/licenses/by/1-0/",
    },
    "coopsuk-workers": {
        "name": "Co-operatives UK worker co-operatives (Digital Commons)",
        "url": "https://github.com/DigitalCommons/open-data",
        "licence": "ODC-By 1.0 (derived from Co-operatives UK)",
        "licence_url": "https://opendatacommons.org/licenses/by/1-0/",
    },
    "dotcoop": {
        "name": "DotCoop registry of .coop domains (Digital Commons)",
        "url": "https://github.com/DigitalCommons/open-data-and-maps",
        "licence": _("licence not stated; shown with attribution, not redistributed in bulk"),
        "licence_url": "",
    },
    "susy": {
        "name": "SUSY / SSEDAS partner initiatives (TransforMap)",
        "url": "https://data.transformap.co/place/SSEDAS_PARTNER",
        "licence": "Public Domain",
        "licence_url": "",
    },
    "federation": {
        "name": "Another network, through a Murmurations index",
        "url": "https://murmurations.network/",
        "licence": _("as published by each organisation"),
        "licence_url": "",
    },
    "murmurations": {
        "name": "Murmurations profiles",
        "url": "https://murmurations.network/",
        "licence": _("as published by each organisation"),
        "licence_url": "",
    },
}
VOCABULARY_ATTRIBUTION = {
    "name": "ESSGlobal vocabulary and taxonomies (RIPESS / Digital Commons)",
    "url": "https://github.com/DigitalCommons/map-sse",
    "licence": "CC-BY 3.0",
    "licence_url": "https://creativecommons.org/licenses/by/3.0/",
}


def can_see(user: Any, org: Organisation) -> bool:
    if org.status in PUBLIC_STATUSES:
        return True
    return is_steward(user) or (is_authenticated(user) and org.created_by_id == user.pk)


def visible_organisation(user: Any, org_id: int) -> Organisation:
    """The organisation if this user may see it, else NotFound (a hidden entry looks
    exactly like a missing one)."""
    org = Organisation.objects.filter(pk=org_id).first()
    if org is None or not can_see(user, org):
        raise NotFound("no such organisation")
    return org


def classification_labels(org: Organisation, language: str | None = None) -> list[dict[str, Any]]:
    """[{field, label, values: [(code, label)]}] for the organisation's classifications."""
    names = concept_labels(FIELD_SCHEMES.values(), language)
    out = []
    for field_name, scheme in FIELD_SCHEMES.items():
        value = getattr(org, field_name)
        codes = value if isinstance(value, list) else [value] if value else []
        if codes:
            out.append(
                {
                    "field": field_name,
                    "label": Organisation._meta.get_field(field_name).verbose_name,
                    "values": [(c, names.get((scheme, c), c)) for c in codes],
                }
            )
    return out


def sources_of(org: Organisation) -> list[dict[str, Any]]:
    return [
        {
            "source": p.source,
            "source_id": p.source_id,
            "imported_at": p.imported_at,
            "is_primary": p.is_primary,
            **SOURCES.get(p.source, {"name": p.source, "url": "", "licence": ""}),
        }
        for p in org.provenance.all()
    ]


def _shown(field_name: str, value: Any, names: dict[tuple[str, str], str]) -> str:
    """A field's value as a person reads it: concept labels with their codes."""
    if value is None or value == "" or value == []:
        return ""
    scheme = FIELD_SCHEMES.get(field_name)
    values = value if isinstance(value, list) else [value]
    if scheme:
        return "; ".join(f"{names.get((scheme, c), c)} ({c})" for c in values)
    return "; ".join(str(v) for v in values)


def edit_diff(
    org: Organisation, edit: PendingEdit, language: str | None = None
) -> list[dict[str, Any]]:
    """[{field, label, old, new}] of a pending edit against the confirmed entry, in form
    order, values as shown on the page."""
    names = concept_labels(FIELD_SCHEMES.values(), language or get_language())
    rows = []
    for field_name in [f.name for f in Organisation._meta.fields]:
        if field_name not in edit.values:
            continue
        old, new = getattr(org, field_name), edit.values[field_name]
        rows.append(
            {
                "field": field_name,
                "label": Organisation._meta.get_field(field_name).verbose_name,
                "old": _shown(field_name, old, names),
                "new": _shown(field_name, new, names),
            }
        )
    return rows


def _is_proposer(user: Any, org: Organisation) -> bool:
    return bool(getattr(user, "is_authenticated", False) and org.created_by_id == user.pk)


def visible_pending_edit(user: Any, org: Organisation) -> PendingEdit | None:
    """The organisation's pending edit for its proposer and stewards, else None."""
    if not (is_steward(user) or _is_proposer(user, org)):
        return None
    return PendingEdit.objects.filter(organisation=org, status=PendingEdit.Status.PENDING).first()


def last_rejected_edit(user: Any, org: Organisation) -> PendingEdit | None:
    """The latest edit a steward rejected, shown to the entry's proposer with the reason."""
    if not _is_proposer(user, org):
        return None
    last = PendingEdit.objects.filter(organisation=org).order_by("-created_at", "-id").first()
    return last if last and last.status == PendingEdit.Status.REJECTED else None


def pending_edits() -> list[PendingEdit]:
    """Edits waiting for review, oldest first, with their organisations."""
    return list(
        PendingEdit.objects.filter(status=PendingEdit.Status.PENDING)
        .select_related("organisation", "proposed_by")
        .order_by("created_at", "id")
    )


def review_queue() -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            status=Organisation.Status.PROPOSED, source_network__isnull=True
        ).order_by("created_at")
    )


def choices(scheme: str, language: str | None = None) -> list[tuple[str, str]]:
    """(code, label) sorted by label, in the given language or the active one. The label
    cache is keyed by language, so the language is always named: asking with None would
    cache the first visitor's language for everybody."""
    names = concept_labels([scheme], language or get_language() or "en")
    return sorted(((code, label) for (_s, code), label in names.items()), key=lambda x: x[1])
