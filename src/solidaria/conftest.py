"""Shared fixtures: people in each network role, and clients logged in as them."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import Client

from solidaria.accounts.factories import make_applicant, make_member, make_steward
from solidaria.accounts.models import ApiToken, User


def pytest_configure(config: pytest.Config) -> None:
    """Tests create many users: hash their passwords the fast way (never in production)."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests run in `make test-pg`; on SQLite they are deselected loudly."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def member(db: None) -> User:
    return make_member("ada", password="pw-ada-123!")


@pytest.fixture
def other_member(db: None) -> User:
    return make_member("bo", password="pw-bo-123!")


@pytest.fixture
def applicant(db: None) -> User:
    """Signed up, email confirmed, not admitted yet."""
    return make_applicant("newcomer", password="pw-new-123!")


@pytest.fixture
def steward(db: None) -> User:
    return make_steward("stew", password="pw-stew-123!")


@pytest.fixture
def applicant_client(applicant: User) -> Client:
    client = Client()
    client.force_login(applicant)
    return client


@pytest.fixture
def member_client(member: User) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def steward_client(steward: User) -> Client:
    client = Client()
    client.force_login(steward)
    return client


@pytest.fixture
def member_token(member: User) -> str:
    _token, raw = ApiToken.issue(user=member, name="tests")
    return raw


@pytest.fixture
def steward_token(steward: User) -> str:
    _token, raw = ApiToken.issue(user=steward, name="tests")
    return raw


@pytest.fixture(autouse=True)
def _clear_caches() -> None:
    """Throttling counts failures in the cache: each test starts with every cache empty."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=False):
        cache.clear()


# --- Real data: the bundled data/ folder always; the full shared sets when present. ---
# Tests over the full sets carry `@pytest.mark.shared_data` (or take the `shared_data`
# fixture). Without ../shared/data (or $SOLIDARIA_SHARED_DATA) they are skipped with the
# reason; with SOLIDARIA_REQUIRE_SHARED_DATA=1 (CI) that skip is a failure instead.

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def _missing_shared_data() -> str:
    from solidaria.core.paths import shared_data_dir

    if shared_data_dir() is not None:
        return ""
    reason = (
        "needs the full shared data sets: put them in ../shared/data beside the clone "
        "or set SOLIDARIA_SHARED_DATA"
    )
    if os.environ.get("SOLIDARIA_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(f"SOLIDARIA_REQUIRE_SHARED_DATA=1 but the test {reason}", pytrace=False)
    return reason


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("shared_data") and (reason := _missing_shared_data()):
        pytest.skip(reason)


@pytest.fixture
def shared_data() -> Path:
    """The full shared data folder; skips (or fails, when required) without it."""
    from solidaria.core.paths import shared_data_dir

    if reason := _missing_shared_data():
        pytest.skip(reason)
    folder = shared_data_dir()
    assert folder is not None
    return folder


def shared_files(folder: str, pattern: str) -> list[Any]:
    """Parameters for a test over every file of a full shared set, marked `shared_data`.

    Without the shared data there is one placeholder parameter, so the test shows as
    skipped (or fails when SOLIDARIA_REQUIRE_SHARED_DATA=1) instead of vanishing."""
    from solidaria.core.paths import shared_data_dir

    mark = pytest.mark.shared_data
    root = shared_data_dir()
    if root is None:
        return [pytest.param("shared-data-missing", marks=mark)]
    return [pytest.param(p.name, marks=mark) for p in sorted((root / folder).glob(pattern))]
