"""While the database cannot be reached, pages and the API answer 503 with a sentence and
Retry-After (core/unavailable.py), never a traceback; any other error stays a plain 500.
The end-to-end proof (PostgreSQL stopped under a running gunicorn) is `make faults`."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from solidaria.core import views as core_views

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_home(monkeypatch: pytest.MonkeyPatch) -> Any:
    def arm(exc: Exception) -> None:
        def home(request: Any) -> Any:
            raise exc

        monkeypatch.setattr(core_views, "home", home)
        # the URL pattern holds the function object: point it at the failing one
        from solidaria import urls

        for pattern in urls.urlpatterns:
            if getattr(pattern, "name", None) == "home":
                monkeypatch.setattr(pattern, "callback", home)

    return arm


@pytest.mark.parametrize(
    "exc",
    [OperationalError("connection refused"), InterfaceError("connection already closed")],
)
def test_a_page_answers_503_with_a_sentence_when_the_database_is_down(
    failing_home: Any, exc: Exception
) -> None:
    failing_home(exc)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "The database cannot be reached for a moment" in body
    assert "Traceback" not in body and "connection refused" not in body


def test_the_api_answers_503_with_a_json_sentence_when_the_database_is_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from solidaria.ledger import api as ledger_api

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(ledger_api.queries, "listings_search", down)
    response = Client(raise_request_exception=False).get("/api/ledger/offers-wants")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database cannot be reached for a moment; nothing you sent was "
        "stored. Please try again in a few seconds."
    }


def test_any_other_error_is_still_a_plain_500(failing_home: Any) -> None:
    failing_home(ValueError("a bug"))
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
