"""Hostile input files for every importer and CLI verb, written at test time.

`write_corpus(root)` writes the files into `root` (nothing large is committed) and returns
one `Case` per file: which reader it is for, whether it must be read (`ok`) or refused with
a one-line error (`error`), and what that line must name (the line or JSON path, and the
field). Each reader gets the same generic hostile files made from a small valid sample
(empty, binary, UTF-16, a byte-order mark, truncated, a 10 MB field, a million blank
lines) plus the files hostile to its format (NaN, Infinity, 5,000-digit numbers, deeply
nested or wrongly typed JSON, duplicate ids, more seats than candidates, every candidate
withdrawn, an empty VOTES section, a zero budget...).

Run it by hand to look at the files: `python make_corpus.py DIR`.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BIG = 10 * 1024 * 1024  # the 10 MB field
MILLION = 1_000_000
HUGE = "9" * 5000  # a 5,000-digit number

# Names the ledger and clearing files use: the test creates these people and currency.
PAYER, PAYEE, CURRENCY = "ada", "bo", "CRED"

TARGETS = (
    "clear",
    "pb",
    "tally",
    "allocate",
    "bylaws",
    "ledger",
    "obligations",
    "coopsuk",
    "dotcoop",
    "susy",
    "murmurations",
)
"""Readers: the CLI verbs' inputs (`allocate` reads PATRONAGE.csv, `bylaws` its
BYLAWS.json), `ledger import`, the clearing page's obligations CSV and the directory
formats."""


@dataclass(frozen=True)
class Case:
    target: str
    name: str
    path: Path
    expect: str  # "ok" or "error"
    where: str = ""  # what the error line must contain: "line 3", "$.features[0]" ...
    field: str = ""  # the field the error line must name
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.target}-{self.name}"


# ---------------------------------------------------------------- valid samples

CLEAR = "debtor,creditor,amount\na,b,10\nb,c,5.50\nc,a,7\n"
OBLIGATIONS = f"debtor,creditor,amount,reference\n{PAYER},{PAYEE},10,INV-1\n{PAYEE},{PAYER},4,\n"
LEDGER = (
    f"payer,payee,amount,currency\n{PAYER},{PAYEE},1.50,{CURRENCY}\n{PAYEE},{PAYER},1,{CURRENCY}\n"
)
PATRONAGE = "member,hours,purchases\nann,10,100.50\nbob,5,20\ncat,0,7\n"
BYLAWS = {
    "version": "2025-1",
    "reserves": "30",
    "indivisible_reserves": "50",
    "social_fund": "10",
    "members": "60",
    "patronage_basis": "mixed",
    "mixed_weights": {"hours": "70", "purchases": "30"},
    "cash": "30",
}


def pb(
    *,
    budget: str = "100",
    num_votes: str = "3",
    projects: str = "p1;40\np2;50\np3;30\n",
    votes: str = "1;p1,p2\n2;p2,p3\n3;p1\n",
    vote_type: str = "approval",
) -> str:
    return (
        f"META\nkey;value\nbudget;{budget}\nvote_type;{vote_type}\nrule;greedy\n"
        f"num_votes;{num_votes}\nPROJECTS\nproject_id;cost\n{projects}"
        f"VOTES\nvoter_id;vote\n{votes}"
    )


def blt(*, header: str = "3 2", withdrawn: str = "", ballots: str = "") -> str:
    body = ballots or "4 1 2 0\n3 2 3 0\n2 3 1 0\n1 1 3 0\n"
    lines = [header, *([withdrawn] if withdrawn else []), body.rstrip("\n"), "0"]
    return "\n".join([*lines, '"Ann"', '"Bob"', '"Cat"', '"Hostile ward"']) + "\n"


COOPSUK_HEADER = (
    "Identifier,Name,Description,Organisational Structure,Primary Activity,Activities,"
    "Street Address,Locality,Region,Postcode,Country ID,Territory ID,Website,Phone,Email,"
    "Twitter,Facebook,Companies House Number,Qualifiers,Membership Type,Latitude,Longitude,"
    "Geo Container,Geo Container Latitude,Geo Container Longitude,Sector,SIC Section,SIC Code,"
    "Ownership Classification,Legal Form"
)


def coopsuk_row(ident: str, name: str, *, lat: str = "51.5", lon: str = "-0.1") -> str:
    cells = [ident, name, "", "", "", "", "1 High St", "Town", "Region", "AB1 2CD", "GB"]
    cells += ["", "", "", "", "", "", "", "", "", "", "", "", lat, lon, "Retail", "", "", ""]
    cells += ["Society"]
    return ",".join(cells)


def coopsuk(rows: list[str]) -> str:
    return "\n".join([COOPSUK_HEADER, *rows]) + "\n"


DOTCOOP_HEADER = "Roid,Domain,Name,Street,City,State,PostCode,Country,Latitude,Longitude"


def dotcoop_row(roid: str, name: str, *, lat: str = "52.5", lon: str = "13.4") -> str:
    return f"{roid},{roid.lower()}.coop,{name},Hauptstr 1,Berlin,,10115,DE,{lat},{lon}"


def dotcoop(rows: list[str]) -> str:
    return "\n".join([DOTCOOP_HEADER, *rows]) + "\n"


def feature(ident: str, name: str, lat: object = 48.2, lon: object = 16.4) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": {"_id": ident, "name": name, "addr:country": "AT"},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def susy(features: list[object]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features})


def profile(ident: str, name: str, lat: object = 52.5, lon: object = 13.4) -> dict[str, object]:
    return {
        "linked_schemas": ["organizations_schema-v1.0.0"],
        "name": name,
        "primary_url": f"https://{ident}.example.org",
        "country_iso_3166": "DE",
        "geolocation": {"lat": lat, "lon": lon},
    }


def murmurations(profiles: list[object]) -> str:
    return json.dumps(profiles)


VALID: dict[str, str] = {
    "clear": CLEAR,
    "pb": pb(),
    "tally": blt(),
    "allocate": PATRONAGE,
    "bylaws": json.dumps(BYLAWS),
    "ledger": LEDGER,
    "obligations": OBLIGATIONS,
    "coopsuk": coopsuk([coopsuk_row("R1", "One"), coopsuk_row("R2", "Two")]),
    "dotcoop": dotcoop([dotcoop_row("D1", "Eins"), dotcoop_row("D2", "Zwei")]),
    "susy": susy([feature("s1", "Uno"), feature("s2", "Due")]),
    "murmurations": murmurations([profile("m1", "Un"), profile("m2", "Deux")]),
}
SUFFIX = {
    "clear": ".csv",
    "pb": ".pb",
    "tally": ".blt",
    "allocate": ".csv",
    "bylaws": ".json",
    "ledger": ".csv",
    "obligations": ".csv",
    "coopsuk": ".csv",
    "dotcoop": ".csv",
    "susy": ".geojson",
    "murmurations": ".json",
}
JSON_TARGETS = ("bylaws", "susy", "murmurations")


# ---------------------------------------------------------------- generic hostile files


def _truncated(target: str) -> str:
    """The valid sample cut where no reader can take it for a whole file."""
    text = VALID[target]
    if target in JSON_TARGETS:
        return text[: len(text) // 2]
    if target == "tally":
        return text.split('"Bob"')[0]  # names missing
    if target == "pb":
        return text.split("VOTES")[0]  # no VOTES section
    if target == "obligations":  # a reference is optional: cut two fields
        return text.rstrip("\n").rsplit(",", 2)[0] + "\n"
    return text.rstrip("\n").rsplit(",", 1)[0] + "\n"  # last row a field short


def _big_field(target: str) -> tuple[str, str, str]:
    """(text, where, field) with one 10 MB field."""
    big = "x" * BIG
    if target == "clear":
        return f"debtor,creditor,amount\na,b,10\n{big},c,5\n", "line 3", "debtor"
    if target == "obligations":
        return (
            f"debtor,creditor,amount,reference\n{PAYER},{PAYEE},10,{big}\n",
            "line 2",
            "reference",
        )
    if target == "ledger":
        return f"payer,payee,amount,currency\n{PAYER},{big},1,{CURRENCY}\n", "line 2", "payee"
    if target == "allocate":
        return f"member,hours,purchases\nann,1,1\n{big},2,2\n", "line 3", "member"
    if target == "pb":
        return pb(projects=f"p1;40\n{big};50\np3;30\n"), "line 10", "project_id"
    if target == "tally":
        return blt().replace('"Bob"', f'"{big}"'), "line 8", "name"
    if target == "coopsuk":
        return coopsuk([coopsuk_row("R1", "One"), coopsuk_row("R2", big)]), "line 3", "Name"
    if target == "dotcoop":
        return dotcoop([dotcoop_row("D1", big)]), "line 2", "Name"
    if target == "susy":
        return susy([feature("s1", big)]), "$.features[0]", "name"
    if target == "murmurations":
        return murmurations([profile("m1", big)]), "$[0]", "name"
    data = dict(BYLAWS, version=big)
    return json.dumps(data), "$.version", "version"


def _blank_million(target: str) -> str:
    """A million blank lines after the header (if the format has one): nothing to read."""
    blank = "\n" * MILLION
    if target in JSON_TARGETS:
        return blank
    if target == "pb":
        return blank
    if target == "tally":
        return blank
    return VALID[target].split("\n", 1)[0] + "\n" + blank


# ---------------------------------------------------------------- format-specific files


def _specific() -> list[tuple[str, str, str | bytes, str, str, str]]:
    """(target, name, content, expect, where, field)."""
    out: list[tuple[str, str, str | bytes, str, str, str]] = []

    def add(t: str, n: str, c: str | bytes, e: str = "error", w: str = "", f: str = "") -> None:
        out.append((t, n, c, e, w, f))

    header = "debtor,creditor,amount\n"
    add("clear", "nan", header + "a,b,NaN\n", w="line 2", f="amount")
    add("clear", "infinity", header + "a,b,Infinity\n", w="line 2", f="amount")
    add("clear", "huge", header + f"a,b,{HUGE}\n", w="line 2", f="amount")
    add("clear", "header-only", header, w="line 1")
    add("clear", "self-debt", header + "a,a,5\n", w="line 2", f="creditor")

    oh = "debtor,creditor,amount,reference\n"
    add("obligations", "nan", oh + f"{PAYER},{PAYEE},NaN,\n", w="line 2", f="amount")
    add("obligations", "huge", oh + f"{PAYER},{PAYEE},{HUGE},\n", w="line 2", f="amount")
    add("obligations", "header-only", oh, w="line 1")

    lh = "payer,payee,amount,currency\n"
    add("ledger", "nan", lh + f"{PAYER},{PAYEE},NaN,{CURRENCY}\n", w="line 2", f="amount")
    add("ledger", "infinity", lh + f"{PAYER},{PAYEE},Infinity,{CURRENCY}\n", w="line 2", f="amount")
    add("ledger", "huge", lh + f"{PAYER},{PAYEE},{HUGE},{CURRENCY}\n", w="line 2", f="amount")
    add("ledger", "huge-account", lh + f"#{HUGE},{PAYEE},1,{CURRENCY}\n", w="line 2", f="payer")
    add("ledger", "header-only", lh, w="line 1")
    add(
        "ledger",
        "over-cap",
        lh + f"{PAYER},{PAYEE},1,{CURRENCY}\n" * 20_001,
        w="line 20002",
        f="lines",
    )

    ph = "member,hours,purchases\n"
    add("allocate", "nan", ph + "ann,NaN,1\n", w="line 2", f="hours")
    add("allocate", "infinity", ph + "ann,1,Infinity\n", w="line 2", f="purchases")
    add("allocate", "huge", ph + f"ann,{HUGE},1\n", w="line 2", f="hours")
    add("allocate", "duplicate", ph + "ann,1,1\nbob,2,2\nann,3,3\n", w="line 4", f="member")
    add("allocate", "header-only", ph, w="line 1")

    add("bylaws", "nested", "[" * 100_000 + "]" * 100_000, w="line 1")
    add("bylaws", "wrong-types", json.dumps(dict(BYLAWS, reserves=["30"])), w="$.reserves")
    add("bylaws", "not-object", json.dumps([BYLAWS]), w="$")
    add("bylaws", "nan", json.dumps(BYLAWS).replace('"30"', "NaN", 1), w="$")
    add("bylaws", "huge", json.dumps(BYLAWS).replace('"30"', HUGE, 1), w="$")
    add("bylaws", "infinity", json.dumps(BYLAWS).replace('"10"', "Infinity", 1), w="$")

    add("pb", "nan-cost", pb(projects="p1;NaN\np2;50\np3;30\n"), w="line 9", f="cost")
    add("pb", "infinity-budget", pb(budget="Infinity"), w="line 3", f="budget")
    add("pb", "huge-budget", pb(budget=HUGE), w="line 3", f="budget")
    add("pb", "huge-cost", pb(projects=f"p1;{HUGE}\np2;50\np3;30\n"), w="line 9", f="cost")
    add("pb", "duplicate-project", pb(projects="p1;40\np2;50\np1;30\n"), w="line 11", f="project")
    add("pb", "duplicate-voter", pb(votes="1;p1\n2;p2\n1;p3\n"), w="line 16", f="voter_id")
    add("pb", "empty-votes", pb(votes=""), w="num_votes")
    add("pb", "zero-budget", pb(budget="0"), w="line 3", f="budget")
    add("pb", "unknown-vote-type", pb(vote_type="telepathy"), w="line 4", f="vote_type")

    add("tally", "more-seats", blt(header="3 5"), "ok")
    add("tally", "seats-equal-candidates", blt(header="3 3"), "ok")
    add("tally", "all-withdrawn", blt(withdrawn="-1 -2 -3"), w="line 2", f="withdrawn")
    add("tally", "huge-weight", blt(ballots=f"{HUGE} 1 2 0\n"), w="line 2", f="weight")
    add("tally", "nan-weight", blt(ballots="NaN 1 2 0\n"), w="line 2", f="weight")
    add("tally", "huge-seats", blt(header=f"3 {HUGE}"), w="line 1", f="seats")
    add("tally", "huge-candidates", blt(header=f"{HUGE} 2"), w="line 1", f="candidates")
    add("tally", "no-ballots", blt(ballots="0 1 0\n"), w="line", f="ballots")
    add(
        "tally",
        "duplicate-names",
        blt().replace('"Bob"', '"Ann"'),
        w="line 8",
        f="name",
    )

    for t, rows, row, head in (
        ("coopsuk", coopsuk, coopsuk_row, "R"),
        ("dotcoop", dotcoop, dotcoop_row, "D"),
    ):
        add(t, "nan", rows([row(f"{head}1", "Nan", lat="NaN", lon="NaN")]), w="line 2", f="lat")
        add(t, "infinity", rows([row(f"{head}1", "Inf", lat="Infinity")]), w="line 2", f="lat")
        add(t, "huge", rows([row(f"{head}1", "Huge", lat=HUGE)]), w="line 2", f="lat")
        dup = rows([row(f"{head}1", "One"), row(f"{head}2", "Two"), row(f"{head}1", "Again")])
        add(t, "duplicate-ids", dup, w="line 4", f="source id")
        add(t, "header-only", rows([]), w="line 1")
    good = [coopsuk_row(f"G{i}", f"Good {i}") for i in range(5000)]
    add(
        "coopsuk",
        "bad-row-after-5000",
        coopsuk([*good, coopsuk_row("BAD", "")]),
        w="line 5002",
        f="name",
    )

    add("susy", "nested", '{"features": ' + "[" * 100_000 + "]" * 100_000 + "}", w="line 1")
    add("susy", "features-not-list", json.dumps({"features": "x"}), w="$.features")
    add("susy", "feature-is-list", susy([[1, 2]]), w="$.features[0]")
    add("susy", "properties-list", susy([{"properties": [], "geometry": None}]), w="$.features[0]")
    add("susy", "nan", susy([feature("s1", "Nan", lat=float("nan"))]), w="$")
    add(
        "susy",
        "infinity",
        susy([feature("s1", "Inf", lon=float("inf"))]),
        w="$",
    )
    add("susy", "huge", susy([feature("s1", "Huge")]).replace("48.2", HUGE), w="$")
    add("susy", "duplicate-ids", susy([feature("s1", "A"), feature("s1", "B")]), w="$.features[1]")
    add("susy", "no-features", susy([]), w="$.features")

    add("murmurations", "nested", "[" * 100_000 + "]" * 100_000, w="line 1")
    add("murmurations", "wrong-types", murmurations([1, "x"]), w="$[0]")
    add(
        "murmurations",
        "name-not-string",
        murmurations([dict(profile("m1", "x"), name=["x"])]),
        w="$[0]",
        f="name",
    )
    add("murmurations", "nan", murmurations([profile("m1", "N", lat=float("nan"))]), w="$")
    add("murmurations", "huge", murmurations([profile("m1", "H")]).replace("52.5", HUGE), w="$")
    add(
        "murmurations",
        "duplicate-ids",
        murmurations([profile("m1", "A"), profile("m1", "B")]),
        w="$[1]",
    )
    add("murmurations", "empty-list", "[]", w="$")
    return out


# ---------------------------------------------------------------- writing


def _binary() -> bytes:
    rng = random.Random(11)
    return bytes(rng.randrange(256) for _ in range(4096)) + b"\x00\xff\xfe"


def write_corpus(
    root: Path, *, targets: tuple[str, ...] = TARGETS, write: bool = True
) -> list[Case]:
    """Write every hostile file for `targets` into `root`; one `Case` per file
    (`write=False`: only the cases, to name the tests)."""
    if write:
        root.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def put(
        target: str, name: str, content: str | bytes, expect: str, where: str, field: str
    ) -> None:
        path = root / f"{target}-{name}{SUFFIX[target]}"
        if write:
            data = content.encode("utf-8") if isinstance(content, str) else content
            path.write_bytes(data)
        cases.append(Case(target, name, path, expect, where, field))

    binary = _binary()
    generic: list[tuple[str, Callable[[str], tuple[str | bytes, str, str, str]]]] = [
        ("valid", lambda t: (VALID[t], "ok", "", "")),
        ("bom", lambda t: ("\ufeff" + VALID[t], "ok", "", "")),
        ("empty", lambda t: ("", "error", "", "")),
        ("binary", lambda t: (binary, "error", "", "")),
        ("utf16", lambda t: (VALID[t].encode("utf-16"), "error", "", "")),
        ("truncated", lambda t: (_truncated(t), "error", "", "")),
        ("big-field", lambda t: (lambda c, w, f: (c, "error", w, f))(*_big_field(t))),
        ("million-blank-lines", lambda t: (_blank_million(t), "error", "", "")),
    ]
    for target in targets:
        for name, make in generic:
            content, expect, where, field = make(target)
            put(target, name, content, expect, where, field)
    for target, name, content, expect, where, field in _specific():
        if target in targets:
            put(target, name, content, expect, where, field)
    return cases


if __name__ == "__main__":
    made = write_corpus(Path(sys.argv[1]))
    for case in made:
        print(f"{case.expect:5} {case.path}")
