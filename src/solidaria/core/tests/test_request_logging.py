"""A refused request is one line in the server's log; a server error keeps its traceback."""

from __future__ import annotations

import logging
import sys

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_403_is_logged_as_one_line_without_a_traceback(member_client: Client, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = member_client.get("/accounts/people/")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in records] == ["Forbidden (Permission denied): /accounts/people/"]
    assert records[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_a_404_is_logged_as_one_line_without_a_traceback(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = Client().get("/no/such/page/")
    assert response.status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in records] == ["Not Found: /no/such/page/"]
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback(caplog) -> None:
    try:
        raise RuntimeError("the database went away")
    except RuntimeError:
        exc_info = sys.exc_info()
    with caplog.at_level(logging.ERROR, logger="django.request"):
        logging.getLogger("django.request").error(
            "Internal Server Error: /x", exc_info=exc_info, extra={"status_code": 500}
        )
    assert "Traceback" in caplog.text and "the database went away" in caplog.text
