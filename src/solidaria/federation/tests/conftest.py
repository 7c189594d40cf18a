from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from solidaria.federation import http
from solidaria.federation.tests.fakes import INDEX, OURS, FakeWeb


@pytest.fixture
def web(settings: Any) -> Iterator[FakeWeb]:
    """A fake index and web, with this instance registering with it."""
    settings.SOLIDARIA = {
        **settings.SOLIDARIA,
        "PUBLIC_URL": OURS,
        "MURMURATIONS_INDEX_URL": INDEX,
        "MURMURATIONS_ALLOW_PRIVATE": "1",
    }
    fake = FakeWeb()
    old = http.use_transport(fake)
    yield fake
    http.use_transport(old)
