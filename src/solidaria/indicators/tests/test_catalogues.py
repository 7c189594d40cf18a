"""Catalogues are versioned data: the shipped ones validate, round-trip, and errors name the entry."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from solidaria.clifront import indicators as front
from solidaria.indicators import catalogues
from solidaria.indicators.engine.catalogue import (
    CatalogueError,
    EcgCatalogue,
    Questionnaire,
    catalogue_from_dict,
    catalogue_to_dict,
)
from solidaria.indicators.engine.reas import reas_catalogue_from_csv


def _doc(key: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((catalogues.folder() / catalogues.SHIPPED[key]).read_text())
    return doc


def test_ecg_full_catalogue_has_the_matrix_and_the_cases_codes() -> None:
    cat = catalogues.ecg_catalogue()
    assert (cat.id, cat.version) == ("ecg-full", "5.0.8")
    assert [t.code for t in cat.topics] == [f"{s}{v}" for s in "ABCDE" for v in range(1, 5)]
    assert sum(len(t.aspects) for t in cat.topics) == 60
    assert sum(not a.is_positive for t in cat.topics for a in t.aspects) == 19
    case = json.loads((catalogues.folder() / "ecg/cases/empty_ratings_input.json").read_text())
    codes = [c for t in cat.topics for c in (t.code, *(a.code for a in t.aspects))]
    assert codes == [r["shortName"] for r in case]


def test_reas_catalogue_groups_questions_and_indicators_by_principle() -> None:
    cat = catalogues.load(catalogues.REAS_2023)
    assert isinstance(cat, Questionnaire)
    assert [g.code for g in cat.groups] == [
        "general",
        "economy",
        "equity",
        "ecology",
        "cooperation",
        "decent-work",
    ]
    items = {i.code: i for i in cat.items()}
    assert len(items) == 422
    assert sum(i.type == "indicator" for i in items.values()) == 92
    assert items["q0101"].split_by_gender and items["ind1"].split_by_gender
    assert "q0101d" not in items  # the women's figure is part of q0101, not an item
    assert not items["q1414"].split_by_gender and "q1414a" in items  # a..e are options
    assert items["q1414a"].note.startswith("label lost in the source file")


@pytest.mark.shared_data
def test_shipped_reas_catalogue_is_the_shared_codebook_converted(shared_data: Path) -> None:
    raw = (shared_data / "indicators/reas/balance_social_2023_codebook.csv").read_bytes()
    assert reas_catalogue_from_csv(raw) == _doc(catalogues.REAS_2023)


@pytest.mark.parametrize("key", list(catalogues.SHIPPED))
def test_every_shipped_catalogue_round_trips(key: str) -> None:
    doc = _doc(key)
    cat = catalogue_from_dict(doc)
    assert catalogue_to_dict(cat) == doc
    assert catalogue_from_dict(catalogue_to_dict(cat)) == cat


def _broken_ecg(change: str) -> dict[str, Any]:
    doc = copy.deepcopy(_doc(catalogues.ECG_FULL))
    if change == "duplicate aspect":
        doc["topics"][3]["aspects"][1]["code"] = "A4.1"
    elif change == "aspect of another topic":
        doc["topics"][0]["aspects"][0]["code"] = "B1.9"
    elif change == "negative weight":
        doc["topics"][2]["aspects"][0]["weight"] = -1
    elif change == "positive as text":
        doc["topics"][1]["aspects"][0]["positive"] = "yes"
    elif change == "no positive aspect":
        doc["topics"][0]["aspects"] = [doc["topics"][0]["aspects"][1]]
    elif change == "unknown group":
        doc["topics"][0]["code"] = "Z1"
    elif change == "format":
        doc["format"] = "other/2"
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("duplicate aspect", "topics[3].aspects[1] (A4.1): code used twice"),
        (
            "aspect of another topic",
            "topics[0].aspects[0] (B1.9): an aspect of A1 must be coded A1.N",
        ),
        ("negative weight", "topics[2].aspects[0] (A3.1): weight is negative"),
        ("positive as text", "topics[1].aspects[0] (A2.1): 'positive' must be bool, not str"),
        ("no positive aspect", "topics[0] (A1): a topic needs at least one positive aspect"),
        ("unknown group", "topics[0] (Z1): stakeholder group 'Z' is not listed"),
        ("format", "format: format 'other/2' is not 'solidaria-catalogue/1'"),
    ],
)
def test_a_broken_ecg_catalogue_names_the_entry(change: str, message: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        catalogue_from_dict(_broken_ecg(change))
    assert str(caught.value) == message


def test_a_network_defines_its_own_questionnaire() -> None:
    doc = {
        "format": "solidaria-catalogue/1",
        "kind": "questionnaire",
        "id": "our-audit",
        "version": "2026-1",
        "title": "Our yearly audit",
        "groups": [
            {
                "code": "care",
                "name": "Care",
                "sections": [
                    {
                        "name": "Hours",
                        "items": [
                            {
                                "code": "c1",
                                "label": "Care hours",
                                "type": "question",
                                "split_by_gender": True,
                                "unit": "hours",
                            },
                            {"code": "c2", "label": "Share of care hours", "type": "indicator"},
                        ],
                    }
                ],
            }
        ],
    }
    cat = catalogue_from_dict(doc)
    assert isinstance(cat, Questionnaire) and [i.code for i in cat.items()] == ["c1", "c2"]
    assert catalogue_to_dict(cat) == doc | {"source": "", "licence": ""}
    doc["groups"][0]["sections"][0]["items"][1]["type"] = "score"
    with pytest.raises(CatalogueError) as caught:
        catalogue_from_dict(doc)
    assert str(caught.value) == (
        "groups[0].sections[0].items[1] (c2): type 'score' is not one of question, indicator"
    )


def test_cli_checks_a_catalogue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = catalogues.folder() / catalogues.SHIPPED[catalogues.ECG_FULL]
    assert front.main(["catalogue", "check", str(path)]) == 0
    assert capsys.readouterr().out == "ecg-full 5.0.8: ECG, 20 topics, 60 aspects\n"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_broken_ecg("duplicate aspect")))
    assert front.main(["catalogue", "check", str(bad)]) == 2
    assert capsys.readouterr().err == (
        f"CommandError: {bad}: topics[3].aspects[1] (A4.1): code used twice\n"
    )


def test_loaded_catalogue_types() -> None:
    assert isinstance(catalogues.load(catalogues.ECG_FULL), EcgCatalogue)


@pytest.mark.parametrize("key", ["ecg-full-5.0.8", "reas-balance-social-2023", "network"])
def test_cli_exports_a_shipped_catalogue_that_checks_again(
    key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert front.main(["catalogue", "export", key]) == 0
    exported = tmp_path / "mine.json"
    exported.write_text(capsys.readouterr().out)
    assert front.main(["catalogue", "check", str(exported)]) == 0
    assert capsys.readouterr().out.startswith(json.loads(exported.read_text())["id"])
    assert front.main(["catalogue", "export", "gdp"]) == 2
    assert "unknown catalogue 'gdp'" in capsys.readouterr().err
