"""The catalogues Solidaria ships (`data/indicators/`), loaded without Django.

`SHIPPED` lists them by key; `load(key)` validates and returns one; `ecg_tables(cat)`
reads the risk tables an ECG catalogue names from the same folder. The CLI, the demo
and the app all read them here; a network's own catalogues are imported from JSON
(`engine.catalogue.catalogue_from_dict`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from solidaria.core.paths import bundled_data_dir
from solidaria.indicators.engine.catalogue import (
    Catalogue,
    EcgCatalogue,
    catalogue_from_dict,
)
from solidaria.indicators.engine.ecg_facts import RiskTables
from solidaria.indicators.engine.ecg_io import load_json, tables_from_json

__all__ = ["ECG_FULL", "REAS_2023", "SHIPPED", "ecg_catalogue", "ecg_tables", "folder", "load"]

ECG_FULL = "ecg-full-5.0.8"
REAS_2023 = "reas-balance-social-2023"
SHIPPED = {
    ECG_FULL: "ecg/full_5_0_8.json",
    REAS_2023: "reas/balance_social_2023.json",
}


def folder() -> Path:
    return bundled_data_dir() / "indicators"


@cache
def load(key: str) -> Catalogue:
    path = folder() / SHIPPED[key]
    return catalogue_from_dict(json.loads(path.read_text(encoding="utf-8")))


def ecg_catalogue() -> EcgCatalogue:
    cat = load(ECG_FULL)
    assert isinstance(cat, EcgCatalogue)
    return cat


@cache
def ecg_tables(
    regions: str = "regions_5_0_5.json", industries: str = "industries_5_0_4.json"
) -> RiskTables:
    base = folder() / "ecg"
    return tables_from_json(
        load_json((base / regions).read_text(encoding="utf-8")),
        load_json((base / industries).read_text(encoding="utf-8")),
    )
