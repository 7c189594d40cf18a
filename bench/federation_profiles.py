"""Profiles step of the federation harness (`bench/federation_test.py`, step a).

`run(trunk, leaf_a, leaf_b, log)`:
1. A gets two confirmed organisations of its own (created once, found again on a rerun);
2. A registers them and its network profile with T's index:
   `solidaria federation register --all --wait --json` must say none failed or pending;
3. T's index lists each of A's profile URLs as posted (`GET {T}/index/v2/nodes`);
4. B subscribes to T's index with auto-approve and aggregates;
5. B's directory API (`federated=only`) finds each of A's organisations, and its detail
   says it comes from network "A via T" with the profile URL as its source.

Every instance is reached over HTTP or through its own `solidaria` command: nothing here
imports Django. A failed check raises AssertionError with a sentence saying what.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

SCHEMA = "organizations_schema-v1.0.0"
NETWORK = "A via T"
ORGANISATIONS = [
    {
        "name": "Federation test bakery co-op",
        "country": "ES",
        "locality": "Barcelona",
        "latitude": 41.39,
        "longitude": 2.17,
        "tags": ["bread", "federation-test"],
        "website": "https://bakery.example.org",
    },
    {
        "name": "Federation test mill co-op",
        "country": "FR",
        "locality": "Lyon",
        "latitude": 45.76,
        "longitude": 4.84,
        "tags": ["flour", "federation-test"],
    },
]

# Run in A's `solidaria shell -c`: create the organisations once, confirmed through the
# directory's service (so the registration hook sees a real confirmation), print ids.
SEED = """
import json
from solidaria.core.permissions import SYSTEM
from solidaria.directory import services
from solidaria.directory.importers.cleaning import name_key
from solidaria.directory.models import Organisation
ids = []
for data in json.loads({orgs!r}):
    org = Organisation.objects.filter(name=data["name"], source_network__isnull=True).first()
    if org is None:
        org = Organisation.objects.create(
            name=data["name"], name_key=name_key(data["name"]), status="proposed",
            country=data["country"],
            locality=data["locality"], latitude=data["latitude"],
            longitude=data["longitude"], tags=data["tags"], website=data.get("website", ""),
        )
    if org.status != "confirmed":
        services.organisation_review(actor=SYSTEM, org_id=org.pk, decision="confirm")
    ids.append(org.pk)
print(json.dumps({{"ids": ids}}))
"""


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def _get_json(url: str, timeout: float = 30) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        body = exc.read()[:300].decode("utf-8", "replace")
        raise AssertionError(f"GET {url} answered {exc.code}: {body}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise AssertionError(f"GET {url} failed: {exc}") from None
    except ValueError:
        raise AssertionError(f"GET {url} did not answer JSON.") from None


def _manage(node: Any, *args: str) -> tuple[int, str, dict[str, Any] | None]:
    result = node.manage(*args, check=False)
    text = (result.stdout or "") + (result.stderr or "")
    return result.returncode, text.strip()[-600:], _last_json(result.stdout or "")


def _index_nodes(trunk: Any) -> dict[str, dict[str, Any]]:
    """Every node T's index lists for the organisations schema, by profile URL."""
    found: dict[str, dict[str, Any]] = {}
    for page in range(1, 21):
        query = urllib.parse.urlencode({"schema": SCHEMA, "page": page, "page_size": 100})
        body = _get_json(f"{trunk.url}/index/v2/nodes?{query}")
        data = body.get("data") if isinstance(body, dict) else None
        assert isinstance(data, list), f"T's index search did not answer a data list: {body}"
        for node in data:
            found[str(node.get("profile_url"))] = node
        pages = (body.get("meta") or {}).get("total_pages") or 0
        if not data or page >= pages:
            break
    return found


def run(trunk: Any, leaf_a: Any, leaf_b: Any, log: Callable[[str], None]) -> None:
    # 1. A's organisations
    code, text, seeded = _manage(leaf_a, "shell", "-c", SEED.format(orgs=json.dumps(ORGANISATIONS)))
    assert code == 0 and seeded, f"A could not create its organisations (exit {code}): {text}"
    ids = [int(i) for i in seeded["ids"]]
    urls = {f"{leaf_a.url}/murmurations/organisations/{i}.json": o["name"]
            for i, o in zip(ids, ORGANISATIONS, strict=True)}  # fmt: skip
    log(f"A has {len(ids)} organisations to publish: {sorted(urls.values())}")

    # 2. A registers with T's index
    code, text, summary = _manage(leaf_a, "federation", "register", "--all", "--wait", "--json")
    assert summary is not None, f"A's register --json printed no summary (exit {code}): {text}"
    assert code == 0 and summary.get("failed") == 0, (
        f"A could not register every profile with T's index: {summary} (exit {code}): {text}"
    )
    assert summary.get("pending") == 0, f"A's profiles are still pending at T's index: {summary}"
    assert summary.get("posted", 0) >= len(ids) + 1, (
        f"A registered {summary.get('posted')} profiles, expected its {len(ids)} organisations "
        f"and its network profile."
    )
    log(f"A registered with T's index: {summary}")

    # 3. T's index lists them, posted
    listed = _index_nodes(trunk)
    for url, name in urls.items():
        assert url in listed, f"T's index does not list A's profile of {name} ({url})."
        status = listed[url].get("status")
        assert status == "posted", f"T's index lists {name} as {status!r}, not posted."
    network_url = f"{leaf_a.url}/murmurations/network.json"
    assert network_url in listed, f"T's index does not list A's network profile ({network_url})."
    log(f"T's index lists A's {len(urls)} organisations and its network profile, posted")

    # 4. B subscribes to T's index and aggregates
    code, text, sub = _manage(
        leaf_b, "federation", "subscribe", "--index", f"{trunk.url}/index/v2",
        "--name", NETWORK, "--auto-approve", "--json",
    )  # fmt: skip
    assert code == 0 and sub and sub.get("subscription"), (
        f"B could not subscribe to T's index (exit {code}): {text}"
    )
    code, text, counts = _manage(
        leaf_b, "federation", "aggregate", "--subscription", str(sub["subscription"]), "--json"
    )
    assert code == 0 and counts is not None, f"B could not aggregate (exit {code}): {text}"
    assert counts.get("errors", 0) == 0, f"B's aggregation met errors: {counts}"
    log(f"B aggregated T's index: { ({k: v for k, v in counts.items() if k != 'subscriptions'}) }")

    # 5. B's directory shows them, with provenance
    for url, name in urls.items():
        query = urllib.parse.urlencode({"q": name, "federated": "only"})
        body = _get_json(f"{leaf_b.url}/api/directory/organisations?{query}")
        results = body.get("results") if isinstance(body, dict) else None
        assert isinstance(results, list), f"B's directory search did not answer results: {body}"
        match = [r for r in results if r.get("name") == name]
        assert match, f"B's directory does not show {name} among federated entries: {results}"
        entry = _get_json(f"{leaf_b.url}/api/directory/organisations/{match[0]['id']}")
        assert entry.get("source_network") == NETWORK, (
            f"B shows {name} from {entry.get('source_network')!r}, not from {NETWORK!r}."
        )
        assert f"federation:{url}" in (entry.get("sources") or []), (
            f"B's entry for {name} does not name its profile URL as its source: "
            f"{entry.get('sources')}"
        )
        assert entry.get("status") == "confirmed", (
            f"B's entry for {name} is {entry.get('status')}, not confirmed (auto-approve)."
        )
        excluded = _get_json(
            f"{leaf_b.url}/api/directory/organisations?"
            + urllib.parse.urlencode({"q": name, "federated": "exclude"})
        )
        assert not [r for r in excluded.get("results", []) if r.get("name") == name], (
            f"B's directory still shows {name} when federated entries are excluded."
        )
    log(f"B's directory shows A's {len(urls)} organisations from network {NETWORK!r}")
