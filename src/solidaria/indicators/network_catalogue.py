"""The network-indicator catalogue the platform computes (`data/indicators/network/`)."""

from __future__ import annotations

import json
from functools import cache

from solidaria.indicators.catalogues import folder
from solidaria.indicators.engine.catalogue import NetworkCatalogue, catalogue_from_dict

PATH = "network/network_1.json"


@cache
def load() -> NetworkCatalogue:
    cat = catalogue_from_dict(json.loads((folder() / PATH).read_text(encoding="utf-8")))
    assert isinstance(cat, NetworkCatalogue)
    return cat
