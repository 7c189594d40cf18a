"""Bounded counting: a text or bbox search counts no further than COUNT_CAP matches, then
says `more`, comes in name order and its facets count the first matches only; at or
under the cap everything is exact and text comes best match first."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from solidaria.directory import search as search_module
from solidaria.directory.models import Organisation
from solidaria.directory.search import SearchParams, parse_bbox, search

pytestmark = pytest.mark.usefixtures("taxonomies")
API = "/api/directory/organisations"
NAMES = ["Delta Orchard", "Alpha Orchard", "Charlie Orchard", "Bravo Orchard"]


@pytest.fixture
def orchards(make_org: Callable[..., Organisation]) -> list[Organisation]:
    return [
        make_org(name, description="orchard " * (i + 1), country="GB", latitude=51, longitude=0)
        for i, name in enumerate(NAMES)
    ]


def test_under_the_cap_counts_exactly_and_ranks(
    orchards: list[Organisation], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "COUNT_CAP", 4)
    result = search(SearchParams(q="orchard"))
    assert (result.total, result.more, result.order) == (4, False, "rank")
    assert sum(f.count for f in result.facets["country"]) == 4
    no_facets = search(SearchParams(q="orchard"), with_facets=False)
    assert (no_facets.total, no_facets.more) == (4, False)
    # the page is cut from the one pass over the matches, in the order the database ranks
    in_sql = search_module._Query(SearchParams(q="orchard"), ["orchard"]).page_ids(0, 10)
    assert [o.pk for o in result.results] == in_sql
    pages = [search(SearchParams(q="orchard", page=n, page_size=3)) for n in (1, 2, 3)]
    assert [[o.pk for o in p.results] for p in pages] == [in_sql[:3], in_sql[3:], []]
    assert {p.pages for p in pages} == {2}


def test_past_the_cap_says_more_and_comes_in_name_order(
    orchards: list[Organisation], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "COUNT_CAP", 2)
    for with_facets in (True, False):
        result = search(SearchParams(q="orchard", page_size=3), with_facets=with_facets)
        assert (result.total, result.more, result.order, result.pages) == (2, True, "name", 1)
        assert [o.name for o in result.results] == sorted(NAMES)[:2]
    facets = search(SearchParams(q="orchard")).facets
    assert sum(f.count for f in facets["country"]) == 3  # the first cap + 1 matches
    boxed = search(SearchParams(bbox=parse_bbox("-1,50,1,52")))
    assert (boxed.total, boxed.more) == (2, True)
    assert [o.name for o in boxed.results] == sorted(NAMES)[:2]
    # a search by facet values alone reads the facet count table: always exact
    by_country = search(SearchParams(country="GB"))
    assert (by_country.total, by_country.more) == (4, False)


def test_api_and_page_say_more(
    orchards: list[Organisation], monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    monkeypatch.setattr(search_module, "COUNT_CAP", 2)
    body = client.get(API, {"q": "orchard"}).json()
    assert (body["count"], body["more"], body["order"]) == (2, True, "name")
    page = client.get("/directory/", {"q": "orchard"}).content.decode()
    assert "More than 2 organisations" in page
    monkeypatch.setattr(search_module, "COUNT_CAP", 10)
    body = client.get(API, {"q": "orchard"}).json()
    assert (body["count"], body["more"], body["order"]) == (4, False, "rank")
    assert "More than" not in client.get("/directory/", {"q": "orchard"}).content.decode()
