"""Where the real data lives, without importing Django (engines and tests use it).

Two places: the repository's own `data/` folder (always there in a checkout: the
taxonomies, samples and conformance files the demo and the default tests need), and the
full public data sets in `../shared/data` beside the clone (optional: complete
directories, every Pabulib election; tests over them are marked `shared_data`).
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # src/solidaria
_REPO_ROOT = _PACKAGE.parents[1]  # the checkout: src/solidaria -> src -> root


def bundled_data_dir() -> Path:
    """The repository's `data/` folder (found from this file, so any working directory works)."""
    folder = _REPO_ROOT / "data"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"The bundled data folder {folder} is missing: run Solidaria from a checkout "
            "of its repository (pip install -e .)."
        )
    return folder


def shared_data_dir() -> Path | None:
    """$SOLIDARIA_SHARED_DATA, else ../shared/data beside the clone, else None."""
    configured = os.environ.get("SOLIDARIA_SHARED_DATA")
    if configured:
        path = Path(configured).expanduser().resolve()
        return path if path.is_dir() else None
    beside = _REPO_ROOT.parent / "shared" / "data"
    return beside.resolve() if beside.is_dir() else None


def data_file(relative: str) -> Path:
    """A file of the full shared set when it is there, else the bundled copy or sample."""
    shared = shared_data_dir()
    if shared is not None and (shared / relative).exists():
        return shared / relative
    return bundled_data_dir() / relative
