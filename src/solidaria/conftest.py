"""Shared fixtures: people in each network role, and clients logged in as them."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import Client

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
    return User.objects.create_user(username="ada", email="ada@example.org", password="pw-ada-123!")


@pytest.fixture
def other_member(db: None) -> User:
    return User.objects.create_user(username="bo", email="bo@example.org", password="pw-bo-123!")


@pytest.fixture
def steward(db: None) -> User:
    return User.objects.create_user(
        username="stew", email="stew@example.org", password="pw-stew-123!", role=User.Role.STEWARD
    )


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
