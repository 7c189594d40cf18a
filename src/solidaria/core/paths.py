"""Where the shared real data lives, without importing Django (engines and tests use it)."""

from __future__ import annotations

import os
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_data_dir() -> Path:
    """$SOLIDARIA_SHARED_DATA, else ../shared/data beside the clone, else /work/shared/data."""
    if os.environ.get("SOLIDARIA_SHARED_DATA"):
        return Path(os.environ["SOLIDARIA_SHARED_DATA"]).resolve()
    for candidate in (_REPO_ROOT.parent / "shared" / "data", Path("/work/shared/data")):
        if candidate.is_dir():
            return candidate.resolve()
    return (_REPO_ROOT.parent / "shared" / "data").resolve()
