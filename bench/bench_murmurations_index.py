"""Murmurations index benchmark: search latency of `/index/v2/nodes` with many nodes.

Loads N posted nodes (50,000; 5,000 with --quick) straight into the index's tables (five
schemas, 13 countries, 2,000 localities, 3 tags each from 3,000, coordinates across
Europe), then times `murmurations.services.search` (the view's whole work but JSON
encoding) over a mix of protocol queries: the default page, schema prefix, country,
fuzzy locality, fuzzy and exact tags, AND of two tags, 50 km around a point, recent
`last_updated`, deep paging. Prints p50/p95 per query and writes
bench/results/murmurations_index.{json,md}.

Needs PostgreSQL: DATABASE_URL, or postgres://postgres@127.0.0.1:5432/solidaria_mindex_bench
(created if missing; a database that already holds N nodes is reused).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/solidaria_mindex_bench"
COUNTRIES = ["ES", "ES", "FR", "DE", "IT", "GB", "GB", "PT", "NL", "BE", "AT", "PL", "SE"]
SCHEMAS = [
    "organizations_schema-v1.0.0",
    "people_schema-v0.1.0",
    "offers_wants_schema-v0.1.0",
    "complementary_currencies-v2.0.0",
    "karte_von_morgen-v1.0.0",
]
REPEAT = 30


def _setup() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        raise SystemExit("bench_murmurations_index needs PostgreSQL (DATABASE_URL=postgres://...)")
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaria.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _word(rng: random.Random) -> str:
    syllables = ["ba", "ko", "ri", "ta", "me", "lu", "sa", "ne", "do", "vi", "ga", "po"]
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))


def load(target: int, rng: random.Random) -> tuple[float, list[str], list[str]]:
    from django.db import connection, transaction

    from solidaria.murmurations.models import Node, NodeSchema, NodeTag, Term

    localities = sorted({_word(rng).capitalize() for _ in range(2500)})[:2000]
    tags = sorted({_word(rng) for _ in range(4000)})[:3000]
    if Node.objects.count() == target:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE murmurations_node, murmurations_term")
        return 0.0, localities, tags
    started = time.perf_counter()
    Node.objects.all().delete()
    now_ms = int(time.time() * 1000)
    batch = 5000
    with transaction.atomic():
        for start in range(0, target, batch):
            nodes = []
            for i in range(start, min(target, start + batch)):
                locality = rng.choice(localities)
                node_tags = rng.sample(tags, 3)
                schema = SCHEMAS[i % len(SCHEMAS)]
                nodes.append(
                    Node(
                        node_id=f"{i:064x}",
                        profile_url=f"https://n{i % 97}.example/profiles/{i}.json",
                        status="posted",
                        was_posted=True,
                        profile={"linked_schemas": [schema], "name": f"Node {i}"},
                        profile_hash=f"{i:064x}",
                        last_updated=now_ms - i * 60_000,
                        name=f"Node {i} {locality}",
                        name_key=f"node {i} {locality.lower()}",
                        primary_url=f"https://n{i}.example",
                        primary_url_key=f"n{i}.example",
                        country=rng.choice(COUNTRIES),
                        locality=locality,
                        locality_key=locality.lower(),
                        tags=node_tags,
                        linked_schemas=[schema],
                        lat=rng.uniform(36.0, 60.0),
                        lon=rng.uniform(-9.0, 24.0),
                    )
                )
            created = Node.objects.bulk_create(nodes)
            NodeTag.objects.bulk_create(NodeTag(node=n, tag=t) for n in created for t in n.tags)
            NodeSchema.objects.bulk_create(
                NodeSchema(node=n, schema=n.linked_schemas[0]) for n in created
            )
        words = {("tag", t) for t in tags} | {("locality", x.lower()) for x in localities}
        Term.objects.bulk_create(
            (Term(kind=k, term=w, length=len(w)) for k, w in sorted(words)),
            ignore_conflicts=True,
        )
    with connection.cursor() as cursor:  # as autovacuum would: index-only counts
        cursor.execute(
            "VACUUM ANALYZE murmurations_node, murmurations_nodetag, murmurations_nodeschema, "
            "murmurations_term"
        )
    return time.perf_counter() - started, localities, tags


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--nodes", type=int, default=0)
    args = parser.parse_args(argv)
    target = args.nodes or (5_000 if args.quick else 50_000)
    _setup()
    from solidaria.murmurations import services

    rng = random.Random(16)
    load_s, localities, tags = load(target, rng)
    locality, tag, other = localities[100], tags[200], tags[201]
    typo = locality.lower()[:-1]  # one letter missing: fuzzy
    since = int(time.time()) - 3600 * 24  # the last day's updates
    queries: dict[str, dict[str, str]] = {
        "default page": {},
        "schema prefix": {"schema": "people_schema-v0"},
        "country": {"country": "FR"},
        "locality (fuzzy)": {"locality": typo},
        "tag (fuzzy)": {"tags": tag},
        "tag (exact)": {"tags": tag, "tags_exact": "true"},
        "two tags AND": {"tags": f"{tag},{other}", "tags_filter": "and"},
        "50 km around Lyon": {"lat": "45.764", "lon": "4.8357", "range": "50km"},
        "last_updated (1 day)": {"last_updated": str(since)},
        "page 20 of 500": {"page": "20", "page_size": "500"},
    }
    rows: list[dict[str, Any]] = []
    for label, params in queries.items():
        samples = []
        found = 0
        for _ in range(REPEAT):
            started = time.perf_counter()
            status, body = services.search(params, "http://bench/index/v2/nodes")
            samples.append((time.perf_counter() - started) * 1000)
            assert status == 200, body
            found = body["meta"]["number_of_results"]
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        rows.append(
            {"query": label, "results": found, "p50_ms": statistics.median(ordered), "p95_ms": p95}
        )
        print(f"{label:24} {found:7d} results  p50 {rows[-1]['p50_ms']:7.1f} ms  p95 {p95:7.1f} ms")
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {"nodes": target, "load_seconds": round(load_s, 1), "repeat": REPEAT, "rows": rows}
    (RESULTS / "murmurations_index.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        f"Murmurations index search, {target:,} posted nodes, PostgreSQL, {REPEAT} runs each "
        f"(load average {'/'.join(f'{v:.1f}' for v in os.getloadavg())}).",
        "",
        "| query | results | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
        *(
            f"| {r['query']} | {r['results']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
            for r in rows
        ),
    ]
    (RESULTS / "murmurations_index.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
