"""Pure cleaning rules: countries, mojibake, domains, names, distances."""

from __future__ import annotations

import pytest

from solidaria.directory.importers.cleaning import (
    dedupe_domain,
    distance_m,
    has_lost_characters,
    name_key,
    normalise_country,
    normalise_website,
    repair_from_evidence,
    repair_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("UK", "GB"),
        ("uk", "GB"),
        ("GB", "GB"),
        ("England", "GB"),
        ("england", "GB"),
        ("United Kingdom", "GB"),
        ("SCOTLAND", "GB"),
        ("DE", "DE"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("Österreich", "AT"),
        ("ÖSterreich", "AT"),
        ("Ελλάδα", "GR"),
        ("Belgique", "BE"),
        ("US", "US"),
        ("us", "US"),
        ("Czech Republic", "CZ"),
        ("FRANCE", "FR"),
        ("", ""),
        ("Atlantis", ""),
    ],
)
def test_country_normalisation_table(raw: str, expected: str) -> None:
    assert normalise_country(raw) == expected


def test_source_alias_wins_over_iso_code() -> None:
    # given SUSY writes Slovakia as SR (ISO: Suriname)
    assert normalise_country("SR") == "SR"
    assert normalise_country("SR", (("sr", "SK"),)) == "SK"


def test_mojibake_is_repaired_and_lost_characters_are_only_flagged() -> None:
    assert repair_text("BÃ¶hlen") == "Böhlen"
    assert has_lost_characters("Kantstra? 10")
    assert has_lost_characters("B?hlen")
    assert not has_lost_characters("Co-op 10")
    assert repair_from_evidence("B?hlen", "Böhlen") == "Böhlen"
    assert repair_from_evidence("Kantstra? 10", "Kantstraße") is None


def test_domains_names_and_distance() -> None:
    assert dedupe_domain("https://www.Example.coop/about") == "example.coop"
    assert dedupe_domain("http://www.facebook.com/profile.php?id=1") == ""
    assert normalise_website("update6") == ""
    assert normalise_website("bgfoodbank.org") == "http://bgfoodbank.org"
    assert name_key("The Bread Co-operative Ltd.") == name_key("bread co-op limited")
    assert round(distance_m(51.5, -0.1, 51.5009, -0.1)) == 100
