"""Every page names its icon, and the browser's default /favicon.ico request finds it."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_link_the_svg_icon_and_favicon_ico_redirects_to_it() -> None:
    client = Client()
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/core/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/core/favicon.svg"


def test_the_icon_is_a_static_svg() -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("core/favicon.svg")
    assert path is not None
    with open(path, encoding="utf-8") as handle:
        assert handle.read().startswith("<svg ")
