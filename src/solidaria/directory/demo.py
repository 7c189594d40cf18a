"""Demo data for the directory: ESSGlobal taxonomies and the real Co-ops UK, DotCoop and
SUSY files. With the full shared data sets (../shared/data) that is about 18,700 rows,
13,400 organisations after deduplication; without them, the samples bundled in data/
(2,000 Co-ops UK rows, the worker co-ops, a DotCoop sample and every SUSY initiative).
Called by `solidaria demo`; running it again changes nothing."""

from __future__ import annotations

import time
from typing import Any

from solidaria.core.paths import data_file
from solidaria.directory import clustering
from solidaria.directory.importers.pipeline import run_import
from solidaria.directory.taxonomy import load_taxonomies

DEMO_FILES = [
    ("coopsuk", "coopsuk_2023-03-02_standard.csv"),
    ("coopsuk", "coopsuk_worker_coops_2023-06-23_wc_converted.csv"),
    ("dotcoop", "dotcoop_ActiveDomainsLonLat-utf8_2019-10-03.csv"),
    ("susy", "susy_transformap_SSEDAS_PARTNER.geojson"),
]


def load(*, stdout: Any) -> None:
    started = time.perf_counter()
    counts = load_taxonomies()
    stdout.write(f"directory: {counts['concepts']} ESSGlobal concepts\n")
    changed = False
    for fmt, name in DEMO_FILES:
        path = data_file(f"directories/{name}")
        if not path.exists():
            stdout.write(f"directory: {path} is missing, skipped\n")
            continue
        report = run_import(path=path, fmt=fmt, rebuild_clusters=False)
        changed = changed or bool(report.created or report.updated or report.merged)
        stdout.write(f"directory: {path}: {report.summary()}\n")
    if changed:
        clustering.rebuild()
    stdout.write(f"directory: loaded in {time.perf_counter() - started:.1f} s\n")
