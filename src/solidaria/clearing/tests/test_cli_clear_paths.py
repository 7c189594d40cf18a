"""`solidaria clear` names its files as `pathlib.Path` would, without importing pathlib
for ordinary names (it starts faster)."""

from __future__ import annotations

from pathlib import Path

import pytest

from solidaria.clifront.clear import _as_path

NAMES = ["a.csv", "/tmp/x/a.csv", "./a.csv", "a//b", "a/", "a/.", "/", "//a", "///a", ""]
NAMES += [".", "..", "../a", "a/../b", "/a/./b", "a/b/", "~/a", " a", "a.", ".a", "a/.b"]


@pytest.mark.parametrize("name", NAMES)
def test_names_are_shown_and_opened_as_pathlib_does(name):
    assert _as_path(name) == str(Path(name))
