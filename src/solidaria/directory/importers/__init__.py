"""Directory importers, one module per format; `pipeline.run_import` drives them."""

from __future__ import annotations

from types import ModuleType

from solidaria.directory.importers import coopsuk, dotcoop, murmurations, susy

FORMATS: dict[str, ModuleType] = {
    "coopsuk": coopsuk,
    "dotcoop": dotcoop,
    "susy": susy,
    "murmurations": murmurations,
}
