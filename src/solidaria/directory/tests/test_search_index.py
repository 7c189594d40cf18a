"""The search indexes stay in step with the organisations: the text index holds exactly
the confirmed ones, the facet count table equals a GROUP BY, bulk inserts are indexed,
and the page planner returns the same name order whichever way it reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from django.db import transaction
from django.db.models import Count

from solidaria.directory.bulk import fast_insert, insert_values
from solidaria.directory.models import Organisation
from solidaria.directory.search import (
    FACET_COLUMNS,
    SearchParams,
    _facet_table_rows,
    _Query,
    confirmed_count,
    search,
)

pytestmark = pytest.mark.usefixtures("taxonomies")
MakeOrg = Callable[..., Organisation]


def _table() -> Counter[tuple[str, ...]]:
    return Counter(
        {tuple(row[:4]): row[4] for row in _facet_table_rows(SearchParams()) if row[4] > 0}
    )


def _group_by() -> Counter[tuple[str, ...]]:
    rows = (
        Organisation.objects.filter(status="confirmed")
        .values_list(*FACET_COLUMNS)
        .annotate(n=Count("id"))
        .order_by()
    )
    return Counter({tuple(row[:4]): row[4] for row in rows})


def _text_groups(q: str) -> Counter[tuple[str, ...]]:
    """Facet value counts of a text search's matches (by facet key on SQLite)."""
    rows = _Query(SearchParams(q=q), [q]).grouped()
    return Counter({tuple(row[:4]): row[4] for row in rows})


def _names(q: str) -> list[str]:
    return [o.name for o in search(SearchParams(q=q)).results]


def test_facet_table_follows_inserts_updates_status_changes_and_deletes(
    make_org: MakeOrg,
) -> None:
    # given organisations in several states
    a = make_org("Alpha Co-op", country="GB", ica_activity="ICA140", structure="OS130")
    b = make_org("Beta Co-op", country="DE", ica_activity="ICA260")
    make_org("Gamma Co-op", country="GB", status="proposed")
    assert (
        _table()
        == _group_by()
        == Counter({("GB", "ICA140", "", "OS130"): 1, ("DE", "ICA260", "", ""): 1})
    )
    # when one moves country, one is archived, one proposed entry is confirmed, one deleted
    a.country = "FR"
    a.save()
    b.status = "archived"
    b.save(update_fields=["status"])
    Organisation.objects.filter(name="Gamma Co-op").update(status="confirmed")
    make_org("Delta Co-op", country="GB").delete()
    # then the table still equals the GROUP BY, and totals come from it
    assert (
        _table()
        == _group_by()
        == Counter({("FR", "ICA140", "", "OS130"): 1, ("GB", "", "", ""): 1})
    )
    assert confirmed_count() == 2
    assert search(SearchParams(country="gb")).total == 1
    # and a text search counts the same facet values (every name has "co-op")
    assert _text_groups("co") == _group_by()


def test_text_index_holds_confirmed_organisations_with_current_text(make_org: MakeOrg) -> None:
    # given a proposed organisation
    org = make_org("Quince Orchard", status="proposed")
    assert _names("quince") == []
    # when it is confirmed, renamed, then archived
    org.status = "confirmed"
    org.save()
    assert _names("quince") == ["Quince Orchard"]
    org.name = "Medlar Orchard"
    org.save()
    assert (_names("quince"), _names("medlar")) == ([], ["Medlar Orchard"])
    org.status = "archived"
    org.save(update_fields=["status"])
    # then only what is confirmed now is found
    assert _names("medlar") == []
    assert search(SearchParams(q="orchard")).total == 0


def test_bulk_inserts_are_text_indexed_and_counted(db: None) -> None:
    # given organisations written by both bulk paths, one of them proposed
    with transaction.atomic():
        fast_insert(
            [
                Organisation(name="Walnut Bakery", status="confirmed", country="GB"),
                Organisation(name="Walnut Brewery", status="proposed", country="GB"),
            ]
        )
        ids = insert_values(
            Organisation,
            [{"name": "Walnut Dairy", "status": "confirmed", "country": "IE", "tags": ["milk"]}],
        )
    # then confirmed ones are found by text, and new inserts go back to the trigger
    assert sorted(_names("walnut")) == ["Walnut Bakery", "Walnut Dairy"]
    assert _names("milk") == ["Walnut Dairy"]
    assert Organisation.objects.get(pk=ids[0]).tags == ["milk"]
    assert _table() == _group_by() == _text_groups("walnut")
    Organisation.objects.create(name="Walnut Farm", status="confirmed", country="IE")
    assert search(SearchParams(q="walnut")).total == 3
    assert _text_groups("walnut") == _group_by()


def test_text_results_put_name_matches_first(make_org: MakeOrg) -> None:
    # given a description-only mention created before a name match
    make_org("Green Lane Workshop", description="We repair bicycles.")
    make_org("Bicycle Repair Co-op", description="Bicycle repair and bicycle sales.")
    # then the name match ranks first; totals and facets count both
    result = search(SearchParams(q="bicycle"))
    assert [o.name for o in result.results] == ["Bicycle Repair Co-op", "Green Lane Workshop"]
    assert result.total == 2


def test_filtered_pages_are_in_name_order_for_common_and_rare_values(
    make_org: MakeOrg,
) -> None:
    # given 25 organisations in GB and 5 in IS, names interleaved
    for i in range(30):
        make_org(f"Org {(i * 7) % 30:02d}", country="GB" if i % 6 else "IS")
    for country in ("GB", "IS"):
        expected = list(
            Organisation.objects.filter(country=country)
            .order_by("name", "id")
            .values_list("name", flat=True)
        )
        # when paging through a country (walking the name index for GB, sorting for IS)
        pages = [search(SearchParams(country=country, page=p, page_size=10)) for p in (1, 2, 3)]
        # then the pages are the name order, and the facet count matches
        assert [o.name for page in pages for o in page.results] == expected
        assert pages[0].total == len(expected)
        assert pages[0].facets["country"][0].count == len(expected)
