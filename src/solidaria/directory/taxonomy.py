"""ESSGlobal taxonomies: parse the SKOS files with rdflib, store concept codes and labels.

The v1.1 files (RDF/XML) and the ica10 files (Turtle, labels in EN/ES/FR/IT/KO/PT and
more) describe the same concepts; we merge their labels, the later non-empty one wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from solidaria.core.paths import bundled_data_dir
from solidaria.directory.models import Concept

# Organisation field -> ESSGlobal scheme (file stem).
FIELD_SCHEMES: dict[str, str] = {
    "activity": "activities",
    "ica_activity": "activities-ica",
    "structure": "organisational-structure",
    "legal_form": "legal-form",
    "membership_type": "base-membership-type",
    "qualifiers": "qualifiers",
    "themes": "themes",
}
MULTI_VALUED = {"qualifiers", "themes"}
SKIP_STEMS = {"essglobal-vocab"}


@dataclass
class ParsedConcept:
    scheme: str
    code: str
    labels: dict[str, str] = field(default_factory=dict)
    scope_notes: dict[str, str] = field(default_factory=dict)


def code_of(uri: str) -> str:
    """`.../organisational-structure/OS60` -> `OS60`."""
    return str(uri).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def taxonomy_files(root: Path) -> list[Path]:
    files = sorted((root / "v1.1").glob("*.skos")) + sorted((root / "ica10").glob("*.ttl"))
    return [p for p in files if p.stem not in SKIP_STEMS]


def parse_file(path: Path) -> list[ParsedConcept]:
    graph = Graph()
    graph.parse(path, format="xml" if path.suffix == ".skos" else "turtle")
    found: list[ParsedConcept] = []
    for subject in graph.subjects(RDF.type, SKOS.Concept):
        if not isinstance(subject, URIRef):
            continue
        concept = ParsedConcept(scheme=path.stem, code=code_of(subject))
        for predicate, target in (
            (SKOS.prefLabel, concept.labels),
            (SKOS.scopeNote, concept.scope_notes),
        ):
            for literal in graph.objects(subject, predicate):
                text = str(literal).strip()
                lang = (getattr(literal, "language", None) or "en").lower()
                if text:
                    target[lang] = text
        found.append(concept)
    return found


_PARSED: dict[str, dict[tuple[str, str], ParsedConcept]] = {}


def parse_all(root: Path) -> dict[tuple[str, str], ParsedConcept]:
    """Parsed once per process (the files are read-only; rdflib takes about a second)."""
    key = str(root.resolve())
    if key not in _PARSED:
        _PARSED[key] = _parse_all(root)
    return _PARSED[key]


def _parse_all(root: Path) -> dict[tuple[str, str], ParsedConcept]:
    merged: dict[tuple[str, str], ParsedConcept] = {}
    for path in taxonomy_files(root):
        for concept in parse_file(path):
            key = (concept.scheme, concept.code)
            if key not in merged:
                merged[key] = concept
            else:
                merged[key].labels.update(concept.labels)
                merged[key].scope_notes.update(concept.scope_notes)
    return merged


def sync_concepts(concept_model: Any, root: Path, *, using: str = "default") -> dict[str, int]:
    """Create or update every concept of the SKOS files under `root`; never duplicates.

    Takes the model class so the data migration can pass its historical model."""
    parsed = parse_all(root)
    manager = concept_model.objects.using(using)
    existing = {(c.scheme, c.code): c for c in manager.all()}
    to_create, to_update = [], []
    for key, concept in parsed.items():
        row = existing.get(key)
        if row is None:
            to_create.append(
                concept_model(
                    scheme=concept.scheme,
                    code=concept.code,
                    labels=dict(concept.labels),
                    scope_notes=dict(concept.scope_notes),
                )
            )
        elif row.labels != concept.labels or row.scope_notes != concept.scope_notes:
            row.labels, row.scope_notes = dict(concept.labels), dict(concept.scope_notes)
            to_update.append(row)
    manager.bulk_create(to_create, batch_size=500)
    manager.bulk_update(to_update, ["labels", "scope_notes"], batch_size=500)
    return {"concepts": len(parsed), "created": len(to_create), "updated": len(to_update)}


@transaction.atomic
def load_taxonomies(root: Path | None = None) -> dict[str, int]:
    """Create or update every concept; returns counts. Running it twice changes nothing."""
    counts = sync_concepts(Concept, root or bundled_data_dir() / "essglobal")
    _LABELS.clear()
    return counts


def known_codes() -> dict[str, set[str]]:
    """scheme -> codes present in the database."""
    codes: dict[str, set[str]] = {}
    for scheme, code in Concept.objects.values_list("scheme", "code"):
        codes.setdefault(scheme, set()).add(code)
    return codes


_LABELS: dict[tuple[tuple[str, ...], str | None], dict[tuple[str, str], str]] = {}


def labels(schemes: Iterable[str], language: str | None = None) -> dict[tuple[str, str], str]:
    """(scheme, code) -> label in the language (English, then the code, as fallbacks).

    Cached per process: concepts change only when load_taxonomies runs (which clears the
    cache here; other processes see new labels after a restart)."""
    key = (tuple(sorted(schemes)), language)
    if key not in _LABELS:
        found = {
            (c.scheme, c.code): c.label(language)
            for c in Concept.objects.filter(scheme__in=list(key[0]))
        }
        if not found:
            return found  # nothing loaded yet: do not cache an empty answer
        _LABELS[key] = found
    return _LABELS[key]


def concept_uri(scheme: str, code: str) -> str:
    base = settings.SOLIDARIA["ESSGLOBAL_BASE_URI"].rstrip("/") + "/"
    return f"{base}standard/{scheme}/{code}"
