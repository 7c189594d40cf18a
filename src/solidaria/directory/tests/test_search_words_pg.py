"""Whole words instead of prefixes (PostgreSQL): the table of the index's words follows
inserts, bulk inserts, renames and confirmations, and a search by whole words finds
exactly what the prefix query (`word:* & ...`) finds, in the same order."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from solidaria.directory import search as search_module
from solidaria.directory import whole_words
from solidaria.directory.bulk import fast_insert
from solidaria.directory.models import Organisation
from solidaria.directory.search import SearchParams, search
from solidaria.directory.whole_words import text_condition

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("taxonomies")]
MakeOrg = Callable[..., Organisation]

QUERIES = [
    "coop",
    "co op",
    "co-op",
    "co_op",
    "cooperativa",
    "Ünï",
    "ÜNÏCODE",
    "don t",
    "bak",
    "b",
    "walnut bak",
    "zzz",
    "coop zzz",
    "12",
    "town 1",
]


def _prefix_ids(q: str) -> set[int]:
    """The confirmed organisations the prefix query finds (what the search did before)."""
    tsquery = " & ".join(f"{w}:*" for w in search_module.words_of(q))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM directory_organisation WHERE status = 'confirmed' "
            "AND search_tsv @@ to_tsquery('simple', %s)",
            [tsquery],
        )
        return {row[0] for row in cursor.fetchall()}


def _ranked_ids(q: str) -> list[int]:
    """The first page of the prefix query, best match first (as the search ranked it)."""
    tsquery = " & ".join(f"{w}:*" for w in search_module.words_of(q))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM directory_organisation WHERE status = 'confirmed' "
            "AND search_tsv @@ to_tsquery('simple', %s) "
            "ORDER BY ts_rank(search_tsv, to_tsquery('simple', %s)) DESC, id LIMIT 20",
            [tsquery, tsquery],
        )
        return [row[0] for row in cursor.fetchall()]


def _whole_word_ids(q: str) -> set[int]:
    sql, args = text_condition(search_module.words_of(q))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.id FROM directory_organisation o WHERE o.status = 'confirmed' AND {sql}",
            args,
        )
        return {row[0] for row in cursor.fetchall()}


def _lexemes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT lexeme FROM directory_search_lexeme")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def directory(make_org: MakeOrg) -> list[Organisation]:
    orgs = [
        make_org("Co-op Bakery", description="Don't panic: Ünïcode bread", locality="Town 12"),
        make_org("Cooperativa Bakers", description="co_op oven", locality="Town 120"),
        make_org("Coopers' Cellar", description="barrels", locality="Town 3"),
        make_org("Backyard Farm", description="eggs", status="proposed"),
    ]
    with transaction.atomic():
        fast_insert(
            [
                Organisation(name=f"Walnut Bakehouse {i}", status="confirmed", country="GB")
                for i in range(3)
            ]
        )
    return orgs


def test_the_words_table_follows_inserts_renames_and_confirmations(
    directory: list[Organisation],
) -> None:
    assert connection.vendor == "postgresql"
    # given organisations made one by one and in bulk: their words are in the table
    assert {"co-op", "bakery", "ünïcode", "walnut", "bakehouse"} <= _lexemes()
    # a proposed entry's words are not (the index holds confirmed entries only)
    assert "backyard" not in _lexemes()
    assert [o.name for o in search(SearchParams(q="backy")).results] == []
    # when one is renamed and the proposed one confirmed
    bakery, _, _, farm = directory
    bakery.name = "Quincunx Bakery"
    bakery.save()
    farm.status = "confirmed"
    farm.save(update_fields=["status"])
    # then their new words are found by prefix
    assert [o.name for o in search(SearchParams(q="quincu")).results] == ["Quincunx Bakery"]
    assert [o.name for o in search(SearchParams(q="backy")).results] == ["Backyard Farm"]


@pytest.mark.parametrize("cap", [64, 1])
def test_whole_words_find_what_the_prefixes_find_in_the_same_order(
    directory: list[Organisation], cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a cap of 1 whole word, most words fall back to the prefix
    monkeypatch.setattr(whole_words, "MAX_WHOLE_WORDS", cap)
    for q in QUERIES:
        # then the same rows, and the search ranks them as before
        assert _whole_word_ids(q) == _prefix_ids(q), q
        assert [o.pk for o in search(SearchParams(q=q)).results] == _ranked_ids(q), q
    assert _prefix_ids("coop") == {directory[1].pk, directory[2].pk}
    assert len(_prefix_ids("co op")) == 2  # co-op is 'co-op', 'co' and 'op'
    assert len(_prefix_ids("bak")) == 5
    assert search(SearchParams(q="bak")).order == "rank"


def test_a_word_that_is_a_prefix_of_many_whole_words_stays_a_prefix(
    directory: list[Organisation], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whole_words, "MAX_WHOLE_WORDS", 2)
    # 'b' starts bakery, bakers, barrels, bread, bakehouse: more than 2
    sql, args = text_condition(["b", "coop"])
    assert args == ["'b':* & ('cooperativa' | 'coopers')"]
    # a word the parser cuts in two goes through to_tsquery, as before
    sql, args = text_condition(["co_op", "ünï"])
    assert args == ["('ünïcode')", "co_op:*"]
    assert "to_tsquery" in sql


def test_a_lexeme_stored_twice_counts_once_against_the_limit(
    directory: list[Organisation], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 'coopers' stored three times (the table has no unique constraint: a race
    # between two writers may store a word twice)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO directory_search_lexeme (lexeme) VALUES ('coopers'), ('coopers')"
        )
    monkeypatch.setattr(whole_words, "MAX_WHOLE_WORDS", 2)
    # then 'coop' still stands for its two whole words, not for a prefix
    assert text_condition(["coop"])[1] == ["('cooperativa' | 'coopers')"]


def test_text_with_facet_filters_reads_the_text_and_facets_index(make_org: MakeOrg) -> None:
    # given bakeries in two countries, with ICA and ESSGlobal activities and structures
    for i in range(12):
        make_org(
            f"Bakery {i:02d}",
            country=("ES", "PT")[i % 2],
            ica_activity=("ICA140", "")[i % 3 == 0],
            activity=("", "a05")[i % 3 == 0],
            structure=("OS10", "OS50")[i % 4 == 0],
        )
    cases = [
        ({"country": "es"}, lambda o: o.country == "ES"),
        ({"activity": "ICA140"}, lambda o: o.ica_activity == "ICA140"),
        ({"activity": "a05", "country": "PT"}, lambda o: o.activity == "a05" and o.country == "PT"),
        ({"structure": "OS50"}, lambda o: o.structure == "OS50"),
    ]
    everything = list(Organisation.objects.order_by("name"))
    for filters, keep in cases:
        # when a word is searched with facet filters
        params = SearchParams(q="bak", **{**filters, "country": filters.get("country", "")})
        query = search_module._Query(params, ["bak"])
        assert "@>" in query.where
        result = search(SearchParams(q="bak", **filters))
        # then exactly the organisations with those values are found, with exact facets
        expected = [o.name for o in everything if keep(o)]
        assert sorted(o.name for o in result.results) == expected, filters
        assert result.total == len(expected)


@pytest.mark.parametrize("entries_per_row", [0, 10**9])
def test_past_the_cap_the_page_is_in_name_order_whether_it_walks_or_sorts(
    make_org: MakeOrg, monkeypatch: pytest.MonkeyPatch, entries_per_row: int
) -> None:
    # given more matches than the cap, names interleaved with non-matches
    for i in range(30):
        make_org(f"Org {(i * 7) % 30:02d}", description="orchard" if i % 3 else "meadow")
    monkeypatch.setattr(search_module, "COUNT_CAP", 5)
    # when the page sorts the matches (0) or walks the name and text index (10**9)
    monkeypatch.setattr(search_module, "WALK_ENTRIES_PER_ROW", entries_per_row)
    query = search_module._Query(SearchParams(q="orch"), ["orch"])
    query.more = True
    assert query._sort_matches_by_name(5) is (entries_per_row == 0)
    pages = [search(SearchParams(q="orch", page=p, page_size=3)) for p in (1, 2)]
    # then both give the first matches in name order
    expected = sorted(o.name for o in Organisation.objects.filter(description="orchard"))
    assert [o.name for page in pages for o in page.results] == expected[:5]
    assert (pages[0].total, pages[0].more, pages[0].order) == (5, True, "name")


def test_past_the_cap_a_few_matches_are_read_once_for_count_facets_and_page(
    make_org: MakeOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 20 matches and 10 others, and a cap of 5
    for i in range(30):
        make_org(
            f"Org {(i * 7) % 30:02d}", description="orchard" if i % 3 else "meadow", country="GB"
        )
    monkeypatch.setattr(search_module, "COUNT_CAP", 5)
    expected = sorted(o.name for o in Organisation.objects.filter(description="orchard"))
    results = {}
    for path, entries_per_row in (("one pass", 0), ("walk", 10**9)):
        # when the estimate says 20 matches that a page would sort (one pass reads them
        # all), or the walk is cheaper (the text pass reads the first 6)
        monkeypatch.setattr(search_module, "WALK_ENTRIES_PER_ROW", entries_per_row)
        monkeypatch.setattr(search_module._Query, "_estimated_matches", lambda self: (20, 30))
        limit = search_module._Query(SearchParams(q="orch"), ["orch"]).every_match_limit(5, 3)
        assert limit == (41 if path == "one pass" else None)
        pages = [search(SearchParams(q="orch", page=p, page_size=3)) for p in (1, 2, 3)]
        results[path] = pages
        # then the pages are the first 5 matches in name order, then nothing
        assert [o.name for p in pages for o in p.results] == expected[:5]
        assert [(p.total, p.more, p.order, p.pages) for p in pages] == [(5, True, "name", 2)] * 3
        # and the facets count the first cap + 1 matches found
        assert [(f.code, f.count) for f in pages[0].facets["country"]] == [("GB", 6)]
    assert results["one pass"][0].facets == results["walk"][0].facets


def test_a_confirmed_organisation_with_a_long_description_is_saved_and_found(
    make_org: MakeOrg,
) -> None:
    # given a description of 1,700 characters of different words (a real one of 1,666
    # in the SUSY file makes a text of 2,764 bytes, more than a B-tree entry may hold)
    words = [hashlib.sha256(str(i).encode()).hexdigest()[:12] for i in range(140)]
    # when it is confirmed, made and renamed
    org = make_org("Longwinded Orchard", description=" ".join(words))
    org.name = "Longwinded Orchard Co-op"
    org.save()
    # then it is saved and found by any of its words
    assert [o.pk for o in search(SearchParams(q=words[-1][:6])).results] == [org.pk]
    assert [o.pk for o in search(SearchParams(q="longwind")).results] == [org.pk]


def test_the_estimate_of_matches_with_a_facet_filter_counts_the_filter_once(
    make_org: MakeOrg,
) -> None:
    # given 60 orchards in Spain among 90 (statistics up to date)
    for i in range(90):
        make_org(f"Orchard {i:02d}", country=("ES", "ES", "PT")[i % 3])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE directory_organisation")
    # when PostgreSQL estimates the matches of a word in Spain (the choice between
    # walking names and sorting the matches past the cap depends on it)
    query = search_module._Query(SearchParams(q="orch", country="ES"), ["orch"])
    matches, confirmed = query._estimated_matches()
    # then the country counts once: the same filter as the text and facets index reads
    # it has no statistics (a partial index) and would be taken as 0.5 % of the rows again
    assert 30 <= matches <= 90, matches
    assert confirmed == 90


def test_a_text_search_works_when_postgresql_plans_the_estimate_in_parallel(
    make_org: MakeOrg,
) -> None:
    # given orchards, and PostgreSQL set to plan in parallel even for a small table (a
    # large one plans so too: then the EXPLAIN of the estimate is a Gather over one
    # Parallel Append, whose parts come in another order with rows per worker)
    for i in range(30):
        make_org(f"Orchard {i:02d}", description="apples" if i % 3 else "pears")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE directory_organisation")
        for setting in (
            "parallel_setup_cost",
            "parallel_tuple_cost",
            "min_parallel_table_scan_size",
            "min_parallel_index_scan_size",
        ):
            cursor.execute(f"SET LOCAL {setting} = 0")
    # when a word is searched
    query = search_module._Query(SearchParams(q="orch"), ["orch"])
    matches, confirmed = query._estimated_matches()
    result = search(SearchParams(q="appl"))
    # then the estimate is of the matches and of the confirmed organisations, and the
    # search answers
    assert 10 <= matches <= 30 and confirmed == 30, (matches, confirmed)
    assert result.total == 20
