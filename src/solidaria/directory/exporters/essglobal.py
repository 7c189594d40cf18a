"""ESSGlobal RDF (Turtle or JSON-LD) with rdflib, using the vocabulary's own terms.

Per the ESSGlobal application profile (DSP.xml) an initiative is an
`essglobal:SSEInitiative` with `gr:name`, `dcterms:description`, `gr:homepage`,
`essglobal:primarySector` (ICA activity), `essglobal:economicSector` (activity),
`essglobal:legalForm`, `essglobal:qualifier`, `dcterms:type` (themes) and
`essglobal:hasAddress` -> `essglobal:Address` (vCard parts, `essglobal:state`).
Organisational structure and base membership type are not in vocabulary v1.1; we use
`essglobal:organisationalStructure` / `essglobal:baseMembershipType` as the later
ESSGlobal maps (Mykomap) do. Concept URIs use SOLIDARIA["ESSGLOBAL_BASE_URI"].
Further web addresses of an entry are `foaf:page`. A value that should be an IRI but is
not a valid one (an address with a space, from older imports) is written as a literal:
one bad cell never stops an export.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from solidaria.directory.importers.cleaning import is_iri
from solidaria.directory.taxonomy import concept_uri

ESSGLOBAL = Namespace("http://purl.org/essglobal/vocab/")
GR = Namespace("http://purl.org/goodrelations/v1#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SCHEMA = Namespace("https://schema.org/")

CONCEPT_PROPERTIES = [
    ("ica_activity", "activities-ica", ESSGLOBAL.primarySector),
    ("activity", "activities", ESSGLOBAL.economicSector),
    ("structure", "organisational-structure", ESSGLOBAL.organisationalStructure),
    ("legal_form", "legal-form", ESSGLOBAL.legalForm),
    ("membership_type", "base-membership-type", ESSGLOBAL.baseMembershipType),
    ("qualifiers", "qualifiers", ESSGLOBAL.qualifier),
    ("themes", "themes", DCTERMS.type),
]


def iri_or_literal(value: str) -> URIRef | Literal:
    return URIRef(value) if is_iri(value) else Literal(value)


def organisation_uri(org_id: int) -> URIRef:
    base = settings.SOLIDARIA["PUBLIC_URL"].rstrip("/")
    return URIRef(f"{base}/directory/organisations/{org_id}/")


def new_graph() -> Graph:
    graph = Graph()
    for prefix, ns in (
        ("essglobal", ESSGLOBAL),
        ("gr", GR),
        ("vcard", VCARD),
        ("geo", GEO),
        ("dcterms", DCTERMS),
        ("foaf", FOAF),
        ("schema", SCHEMA),
    ):
        graph.bind(prefix, ns)
    return graph


def add_organisation(graph: Graph, org: Any, sources: list[str] | None = None) -> URIRef:
    node = organisation_uri(org.pk)
    graph.add((node, RDF.type, ESSGLOBAL.SSEInitiative))
    graph.add((node, GR.name, Literal(org.name)))
    if org.description:
        graph.add((node, DCTERMS.description, Literal(org.description)))
    if org.website:
        graph.add((node, GR.homepage, iri_or_literal(org.website)))
    for url in getattr(org, "other_websites", None) or []:
        graph.add((node, FOAF.page, iri_or_literal(url)))
    for field_name, scheme, predicate in CONCEPT_PROPERTIES:
        value = getattr(org, field_name)
        for code in value if isinstance(value, list) else [value]:
            if code:
                graph.add((node, predicate, iri_or_literal(concept_uri(scheme, code))))
    if org.email:
        graph.add((node, FOAF.mbox, iri_or_literal(f"mailto:{org.email}")))
    if org.phone:
        graph.add((node, SCHEMA.telephone, Literal(org.phone)))
    if org.licence:
        graph.add((node, DCTERMS.license, Literal(org.licence)))
    for source in sources or []:
        graph.add((node, DCTERMS.source, Literal(source)))
    address = BNode(f"address{org.pk}")
    graph.add((node, ESSGLOBAL.hasAddress, address))
    graph.add((address, RDF.type, ESSGLOBAL.Address))
    for value, predicate in (
        (org.street_address, VCARD["street-address"]),
        (org.locality, VCARD.locality),
        (org.region, ESSGLOBAL.state),
        (org.postcode, VCARD["postal-code"]),
        (org.country, VCARD["country-name"]),
    ):
        if value:
            graph.add((address, predicate, Literal(value)))
    if org.latitude is not None and org.longitude is not None:
        graph.add((address, GEO.lat, Literal(f"{org.latitude:.6f}", datatype=XSD.decimal)))
        graph.add((address, GEO.long, Literal(f"{org.longitude:.6f}", datatype=XSD.decimal)))
    return node


def build(orgs: Iterable[Any], sources: dict[int, list[str]] | None = None) -> Graph:
    graph = new_graph()
    for org in orgs:
        add_organisation(graph, org, (sources or {}).get(org.pk))
    return graph


def write(orgs: Iterable[Any], out: Path, *, fmt: str, sources: dict[int, list[str]]) -> int:
    graph = build(orgs, sources)
    count = len(set(graph.subjects(RDF.type, ESSGLOBAL.SSEInitiative)))
    if fmt == "turtle":
        graph.serialize(destination=str(out), format="turtle", encoding="utf-8")
    else:
        context = {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix}
        graph.serialize(destination=str(out), format="json-ld", context=context, encoding="utf-8")
    return count
