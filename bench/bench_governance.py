"""Governance engine timings: Scottish STV, Meek and IRV on the shared BLT files and on a
synthetic large election, against pyrankvote 2.0.6 measured in the same run; surplus
allocation for many members.

Anchor: pyrankvote (PyPI, a dev/bench-only dependency, never imported by src/solidaria).
Its rules, read from its source (pyrankvote/multiple_seat_ranking_methods.py, helpers.py):

* IRV, ``instant_runoff_voting`` (preferential block voting with one seat): elects a
  candidate with more than ceil(non-exhausted ballots / 2) votes (its ``votes - 1e-6 >=
  ceil(n / 2)``) or, through bulk exclusion, one holding at least as many votes as all the
  others together (ours: more than half of the continuing votes); each round excludes at
  once every lowest candidate whose combined votes with those below are <= the next
  candidate's (ours: one per round); ties (totals within 0.001) go to the candidate with
  more 2nd (then 3rd, ...) continuing preferences over all ballots, then at random (ours:
  look back to earlier rounds, then lot). These differences change the winner only through
  a tie or an exact half, so IRV is like for like and winners must be equal (see
  src/solidaria/governance/tests/test_pyrankvote_conformance.py).
* STV, ``single_transferable_vote``: quota = non-exhausted ballots / (seats + 1) as a float,
  fixed at the start, reached at votes >= quota - 1e-6 (Scottish: floor(valid / (seats + 1))
  + 1); everyone at quota is elected in the same round
  and all their surpluses move in that round; a surplus, and an excluded candidate's votes,
  are spread evenly over every ballot the candidate holds whatever that ballot's current
  value (Scottish: weighted inclusive Gregory, each paper at surplus x its value / total,
  truncated to 5 decimals; exclusions at each paper's own value); bulk exclusion; float
  arithmetic; ties as in IRV. That is not Scottish STV (rules 45-52), so the STV rows are
  marked "not like for like": the times are indicative and the elected sets are reported.
* pyrankvote has no Meek STV and no surplus allocation: those rows have no anchor.

pyrankvote ballots carry no weight: a BLT ballot of weight w becomes w references to one
pyrankvote Ballot. BLT reading and that conversion happen before timing and are excluded.
Times are the best of several runs (ms); ratio = anchor time / our time (> 1: ours faster).
Run: .venv/bin/python -m bench.bench_governance [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import time
from collections.abc import Callable
from fractions import Fraction
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyrankvote

from solidaria.core.paths import bundled_data_dir
from solidaria.governance.engine.allocation import Patronage, allocate_surplus
from solidaria.governance.engine.blt import read_blt
from solidaria.governance.engine.bylaws import Bylaws, PatronageBasis
from solidaria.governance.engine.election import Ballot, Election
from solidaria.governance.engine.stv import count

RESULTS = Path(__file__).resolve().parent / "results"
ANCHOR = f"pyrankvote {version('pyrankvote')}"
STV_DIFFERS = "not like for like (pyrankvote STV: float Droop quota, even-spread transfers)"
# pyrankvote is pure Python and walks every expanded ballot: beyond this many it is not run.
ANCHOR_MAX_BALLOTS = 200_000


def _time(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _synthetic(n_ballots: int, n_cands: int, seats: int) -> Election:
    rng = random.Random(7)
    popularity = [rng.random() ** 2 for _ in range(n_cands)]
    seen: dict[tuple[int, ...], int] = {}
    for _ in range(n_ballots):
        order = sorted(range(n_cands), key=lambda c: -popularity[c] * rng.random())
        ranking = tuple(order[: rng.randint(1, n_cands)])
        seen[ranking] = seen.get(ranking, 0) + 1
    ballots = tuple(Ballot(w, r) for r, w in seen.items())
    return Election(tuple(f"C{i}" for i in range(n_cands)), seats, ballots)


def to_pyrankvote(
    election: Election,
) -> tuple[list[pyrankvote.Candidate], list[pyrankvote.Ballot]]:
    """Continuing candidates (named by their 0-based number) and ballots expanded by weight."""
    cands = {c: pyrankvote.Candidate(str(c)) for c in election.hopefuls}
    ballots: list[pyrankvote.Ballot] = []
    for b in election.effective_ballots():
        ballots.extend([pyrankvote.Ballot([cands[c] for c in b.ranking])] * b.weight)
    return list(cands.values()), ballots


def _winners(result: Any) -> list[int]:
    return sorted(int(c.name) for c in result.get_winners())


def _names(election: Election, winners: list[int]) -> str:
    return ", ".join(election.candidates[c] for c in winners)


def _ratio(ours: float, anchor: float | None) -> float | None:
    return round(anchor / ours, 2) if anchor and ours else None


def _sum(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _row(case: str, metric: str, ours: float, anchor: float | None, notes: str) -> dict[str, Any]:
    return {
        "case": case,
        "metric": metric,
        "ours": round(ours, 2),
        "anchor": None if anchor is None else round(anchor, 2),
        "ratio": _ratio(ours, anchor),
        "unit": "ms",
        "notes": notes,
    }


def _compare(election: Election, repeat: int) -> dict[str, Any]:
    """Time our IRV and Scottish STV and pyrankvote's IRV and STV on one election."""
    cands, ballots = to_pyrankvote(election)
    out: dict[str, Any] = {"ballots": len(ballots)}
    ours_irv = count(election, "irv")
    ours_stv = count(election, "stv-scottish")
    out["irv"] = _time(lambda: count(election, "irv"), repeat)
    out["stv"] = _time(lambda: count(election, "stv-scottish"), repeat)
    out["ours_irv"] = sorted(ours_irv.elected)
    out["ours_stv"] = sorted(ours_stv.elected)
    out["ties"] = sum("tie broken" in r.note for r in ours_irv.rounds)
    if len(ballots) > ANCHOR_MAX_BALLOTS:
        out["anchor_irv"] = out["anchor_stv"] = None
        return out
    seats = election.seats
    out["their_irv"] = _winners(pyrankvote.instant_runoff_voting(cands, ballots))
    out["their_stv"] = _winners(pyrankvote.single_transferable_vote(cands, ballots, seats))
    out["anchor_irv"] = _time(lambda: pyrankvote.instant_runoff_voting(cands, ballots), repeat)
    out["anchor_stv"] = _time(
        lambda: pyrankvote.single_transferable_vote(cands, ballots, seats), repeat
    )
    return out


def _irv_note(election: Election, c: dict[str, Any]) -> str:
    if c["anchor_irv"] is None:
        return f"{ANCHOR} not run: {c['ballots']} ballots > cap {ANCHOR_MAX_BALLOTS}"
    if c["ours_irv"] == c["their_irv"]:
        note = f"winner equal ({_names(election, c['ours_irv'])})"
    else:
        note = (
            f"winner DIFFERS: ours {_names(election, c['ours_irv'])}, "
            f"pyrankvote {_names(election, c['their_irv'])}"
        )
    if c["ties"]:
        note += f"; our count broke {c['ties']} tie(s) for fewest (tie rules differ)"
    return note


def _stv_note(election: Election, c: dict[str, Any]) -> str:
    if c["anchor_stv"] is None:
        return f"{ANCHOR} not run: {c['ballots']} ballots > cap {ANCHOR_MAX_BALLOTS}"
    if c["ours_stv"] == c["their_stv"]:
        return "elected sets equal; not like for like"
    return (
        f"elected sets differ: ours {{{_names(election, c['ours_stv'])}}}, pyrankvote "
        f"{{{_names(election, c['their_stv'])}}}; not like for like"
    )


def _verdict(rows: list[dict[str, Any]], stems: list[str], irv_equal: int, stv_equal: int) -> str:
    def speed(ratio: float | None) -> str:
        if ratio is None:
            return "not measured"
        if ratio >= 1:
            return f"{ratio:.2f}× faster than pyrankvote"
        return f"{1 / ratio:.2f}× slower than pyrankvote"

    n = len(stems)
    total = {r["metric"]: r for r in rows if r["case"] == f"{n} shared BLT files"}
    per_file = [r["ratio"] for r in rows if r["case"] in stems and r["metric"] == "irv time"]
    slower = sum(1 for x in per_file if x is not None and x < 1)
    lowest = min((x for x in per_file if x is not None), default=None)
    synth = {r["metric"]: r for r in rows if r["case"].startswith("synthetic")}
    return (
        f"Verdict: IRV (like for like): {speed(total['irv total time']['ratio'])} on the {n} "
        f"files (total), winners equal on {irv_equal}/{n}; slower than pyrankvote on "
        f"{slower}/{n} files (lowest ratio {lowest}x); "
        f"{speed(synth['irv time']['ratio'])} on the synthetic election. "
        f"Scottish STV vs pyrankvote STV (not like for like): "
        f"{speed(total['stv-scottish total time']['ratio'])} on the {n} files, elected sets "
        f"equal on {stv_equal}/{n}; {speed(synth['stv-scottish time']['ratio'])} on the "
        "synthetic election. Meek and allocation have no anchor. Scottish STV matches the "
        "official Scottish counts and droop's references (see tests)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    stv_dir = bundled_data_dir() / "stv"
    files = sorted(stv_dir.glob("*.blt"))[: 3 if args.quick else None]
    n = len(files)
    elections = [read_blt(str(f)) for f in files]
    per_file = [_compare(e, 3 if args.quick else 5) for e in elections]
    irv_equal = sum(c["ours_irv"] == c.get("their_irv") for c in per_file)
    stv_equal = sum(c["ours_stv"] == c.get("their_stv") for c in per_file)
    total_case = f"{n} shared BLT files"
    differing = [
        f.stem for f, c in zip(files, per_file, strict=True) if c["ours_stv"] != c.get("their_stv")
    ]
    rows.append(
        _row(
            total_case,
            "stv-scottish total time",
            sum(c["stv"] for c in per_file),
            _sum([c["anchor_stv"] for c in per_file]),
            f"sum of per-file best times; anchor: pyrankvote STV, {STV_DIFFERS}; elected sets "
            f"equal on {stv_equal}/{n}"
            + (f" (differ: {', '.join(differing)})" if differing else ""),
        )
    )
    meek_ms = _time(lambda: [count(e, "meek") for e in elections])
    rows.append(
        _row(total_case, "meek total time", meek_ms, None, "no anchor: pyrankvote has no Meek STV")
    )
    rows.append(
        _row(
            total_case,
            "irv total time",
            sum(c["irv"] for c in per_file),
            _sum([c["anchor_irv"] for c in per_file]),
            "sum of per-file best times; anchor: pyrankvote IRV, like for like; "
            f"winners equal on {irv_equal}/{n}",
        )
    )
    size = 2_000 if args.quick else 50_000
    big = _synthetic(size, 12, 4)
    case = f"synthetic {size} ballots ({len(big.ballots)} distinct), 12 cands, 4 seats"
    synth = _compare(big, 3)
    ran = f"; pyrankvote on {synth['ballots']} expanded ballots (cap {ANCHOR_MAX_BALLOTS})"
    rows.append(
        _row(
            case,
            "stv-scottish time",
            synth["stv"],
            synth["anchor_stv"],
            _stv_note(big, synth) + ran,
        )
    )
    meek_ms = _time(lambda: count(big, "meek"), repeat=1)
    rows.append(_row(case, "meek time", meek_ms, None, "no anchor: pyrankvote has no Meek STV"))
    rows.append(
        _row(case, "irv time", synth["irv"], synth["anchor_irv"], _irv_note(big, synth) + ran)
    )
    for f, e, c in zip(files, elections, per_file, strict=True):
        rows.append(_row(f.stem, "irv time", c["irv"], c["anchor_irv"], _irv_note(e, c)))
    for f, e, c in zip(files, elections, per_file, strict=True):
        rows.append(
            _row(
                f.stem,
                f"stv-scottish time ({e.seats} seats)",
                c["stv"],
                c["anchor_stv"],
                _stv_note(e, c),
            )
        )
    bylaws = Bylaws("b", 3000, 5000, 1000, 6000, PatronageBasis.MIXED, 3000, 7000, 3000, 2000)
    n_members = 1_000 if args.quick else 20_000
    rng = random.Random(3)
    members = [
        Patronage(
            f"m{i}", Fraction(rng.randint(0, 200000), 100), Fraction(rng.randint(0, 10**7), 100)
        )
        for i in range(n_members)
    ]
    ms = _time(lambda: allocate_surplus(123_456_789, bylaws, members), repeat=1)
    rows.append(
        _row(
            f"allocation, {n_members} members, mixed basis",
            "allocate time",
            ms,
            None,
            "no anchor; exact Fractions, largest remainder",
        )
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "governance.json").write_text(json.dumps(rows, indent=1))
    md = [
        f"# Governance: ours vs {ANCHOR}",
        "",
        "Times in ms, best of several runs; ratio = anchor time / our time (> 1: ours faster); "
        "pyrankvote's ballot conversion (weights expanded) is excluded from its time.",
        "",
        "| case | metric | ours | anchor | ratio | unit | notes |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        anchor = "-" if r["anchor"] is None else r["anchor"]
        ratio = "-" if r["ratio"] is None else f"{r['ratio']}x"
        md.append(
            f"| {r['case']} | {r['metric']} | {r['ours']} | {anchor} | {ratio} | {r['unit']} "
            f"| {r['notes']} |"
        )
    md += ["", _verdict(rows, [f.stem for f in files], irv_equal, stv_equal)]
    (RESULTS / "governance.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
