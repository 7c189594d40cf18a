"""The directory's list and map pages: numbered pages, a helpful empty result, the map
carrying the search's filters, numbers in the visitor's locale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from solidaria.directory.importers.pipeline import run_import
from solidaria.directory.models import Organisation
from solidaria.directory.tests.conftest import COOPSUK, csv_slice
from solidaria.directory.views import page_numbers

pytestmark = pytest.mark.usefixtures("taxonomies")


@pytest.fixture
def imported(tmp_path: Path) -> int:
    run_import(path=csv_slice(COOPSUK, tmp_path / "c.csv", 120), fmt="coopsuk")
    return Organisation.objects.filter(status="confirmed").count()


@pytest.mark.parametrize(
    ("page", "pages", "shown"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 20, [1, 2, None, 20]),
        (5, 20, [1, None, 4, 5, 6, None, 20]),
        (4, 20, [1, 2, 3, 4, 5, None, 20]),
        (20, 20, [1, None, 19, 20]),
    ],
)
def test_page_numbers_show_first_last_and_neighbours(
    page: int, pages: int, shown: list[int | None]
) -> None:
    assert page_numbers(page, pages) == shown


def _nav(html: str) -> str:
    found = re.search(
        r'<nav class="pagination" aria-label="Pages of results">.*?</nav>', html, re.S
    )
    assert found, "no pagination nav"
    return found.group(0)


def test_the_list_has_numbered_pages_keeping_the_filters(imported: int, client: Client) -> None:
    assert imported > 100  # six pages of 20
    html = client.get("/directory/", {"country": "GB", "page": 3}).content.decode()
    nav = _nav(html)
    assert 'href="?country=GB&amp;page=2" rel="prev"' in nav
    assert 'href="?country=GB&amp;page=4" rel="next"' in nav
    assert re.search(r'href="\?country=GB&amp;page=3" aria-current="page"', nav)
    assert 'href="?country=GB"><span class="visually-hidden">Page </span>1</a>' in nav
    last = -(-imported // 20)
    assert f">{last}</a>" in nav


def test_one_page_of_results_has_no_page_links(imported: int, client: Client) -> None:
    html = client.get("/directory/", {"q": Organisation.objects.first().name}).content.decode()
    assert 'class="pagination"' not in html


def test_an_empty_result_offers_to_remove_each_filter(imported: int, client: Client) -> None:
    html = client.get(
        "/directory/", {"q": "zzzqqq", "country": "GB", "structure": "OBS2"}
    ).content.decode()
    assert "No organisation matches this search." in html
    assert "Try removing a filter:" in html
    assert 'href="?country=GB&amp;structure=OBS2"' in html  # without the words
    assert 'href="?q=zzzqqq&amp;structure=OBS2"' in html  # without the country
    assert 'href="?q=zzzqqq&amp;country=GB"' in html  # without the structure
    assert "Remove “Country: United Kingdom”" in html  # the label, not the code
    assert 'href="/directory/">Remove every filter' in html


@pytest.mark.parametrize(("language", "shown"), [("en", "12,345"), ("es", "12\xa0345")])
def test_counts_are_grouped_in_the_visitors_language(language: str, shown: str, rf) -> None:  # type: ignore[no-untyped-def]
    from django.template.loader import render_to_string
    from django.utils import translation

    from solidaria.directory.search import FacetValue, SearchResult

    result = SearchResult(total=12345, page=1, pages=618, page_size=20, results=[])
    value = FacetValue(code="GB", label="GB", count=4321)
    with translation.override(language):
        html = render_to_string(
            "directory/_results.html",
            {
                "result": result,
                "facet_links": {"country": [{"value": value, "selected": False, "url": "?"}]},
                "pages": [{"number": 618, "url": "?page=618", "current": False}],
            },
            request=rf.get("/directory/"),
        )
    assert f">{shown} " in html  # the heading
    assert "(" + shown.replace("12", "4").replace("345", "321") + ")" in html  # a facet count


def test_the_list_links_to_the_map_of_the_same_search(imported: int, client: Client) -> None:
    html = client.get("/directory/", {"q": "bakery", "country": "GB", "page": 2}).content.decode()
    assert 'href="/directory/map/?q=bakery&amp;country=GB"' in html


def test_the_map_page_carries_the_filters_to_its_script(imported: int, client: Client) -> None:
    response = client.get("/directory/map/", {"country": "United Kingdom", "q": "co"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-filters="q=co&amp;country=United+Kingdom"' in html
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert 'id="map" role="region"' in html and 'role="img"' not in html
    assert 'id="map-tiles-notice"' in html and 'id="map-status" role="status"' in html
    assert "Country: United Kingdom" in html


def test_the_map_page_refuses_an_unknown_country_and_says_why(client: Client) -> None:
    response = client.get("/directory/map/", {"country": "Atlantis"})
    assert response.status_code == 422
    assert "unknown country" in response.content.decode()
    assert 'data-filters=""' in response.content.decode()


def test_the_map_tiles_come_from_the_setting(imported: int, client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SOLIDARIA_MAP_TILE_URL = "https://tiles.example.coop/{z}/{x}/{y}.png"
    html = client.get("/directory/map/").content.decode()
    assert 'data-tile-url="https://tiles.example.coop/{z}/{x}/{y}.png"' in html
    org = Organisation.objects.filter(latitude__isnull=False).first()
    detail = client.get(f"/directory/organisations/{org.pk}/").content.decode()
    assert 'data-tile-url="https://tiles.example.coop/{z}/{x}/{y}.png"' in detail
    assert 'role="region" aria-label="Location on a map"' in detail
