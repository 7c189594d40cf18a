"""Budgeting bench: our engine against pabutools 1.2.3 in the same run.

Cases: Warszawa 2026, Łódź 2022, Wrocław 2015, Kraków 2024 (``--quick``: Warszawa and Łódź only).
Metrics: parse, greedy, MES (cost utilities), MES with Add1 (pabutools' variant, which is the
anchor; pabutools needs ~440 s on Warszawa, so it is measured only in full mode with
``--run-slow-anchor``, else recorded as not measured). Results must be equal (checked here).
Peak memory: tracemalloc peak of each of our steps; the process's max RSS at the end.

Whole process (issue 14): ``solidaria pb count --rule mes`` on Łódź 2022 as a user runs it
(fresh process: interpreter, imports, reading the file, counting, printing), against a
whole-process pabutools run of the same rule (``bench/pabutools_mes.py``: MES, cost utilities,
no completion) and against the same verb run through Django (``manage.py``-style); best of 3,
alternating. Goal: ours ≥ 100× faster than pabutools.

Run: ``.venv/bin/python -m bench.bench_budgeting [--quick] [--run-slow-anchor]
[--whole-process-only]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from solidaria.budgeting.engine.completion import Completion, method_of_equal_shares
from solidaria.budgeting.engine.greedy import greedy
from solidaria.budgeting.engine.mes import TieBreaking, Utility
from solidaria.budgeting.engine.pabulib import read
from solidaria.core.paths import shared_data_dir

from .wholeprocess import best_wall, console, through_django

RESULTS = Path(__file__).resolve().parent / "results"
FILES = {
    "Warszawa 2026": "Poland_Warszawa_2026.pb",
    "Lodz 2022": "Poland_Lodz_2022.pb",
    "Wroclaw 2015": "Poland_Wroclaw_2015_150_-_500.pb",
    "Krakow 2024": "Poland_Krakow_2024.pb",
}
QUICK = ["Warszawa 2026", "Lodz 2022"]
SLOW_ANCHOR_NOTE = "pabutools MES+Add1 not measured (takes minutes; use --run-slow-anchor)"


def _timed(fn: Callable[[], Any], *, memory: bool = False) -> tuple[Any, float, float]:
    gc.collect()
    if memory:
        tracemalloc.start()
    t = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - t
    peak = 0.0
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return value, elapsed, peak


def _best_of(n: int, fn: Callable[[], Any]) -> tuple[Any, float]:
    """Fastest of ``n`` runs: the machine is shared, the minimum is the least disturbed."""
    best = float("inf")
    value: Any = None
    for _ in range(n):
        value, elapsed, _ = _timed(fn)
        best = min(best, elapsed)
    return value, best


def _row(case: str, metric: str, ours: float, anchor: float | None, notes: str) -> dict[str, Any]:
    ratio = round(anchor / ours, 1) if anchor and ours else None
    return {
        "case": case,
        "metric": metric,
        "ours": round(ours, 4),
        "anchor": None if anchor is None else round(anchor, 3),
        "ratio": ratio,
        "unit": "s",
        "notes": notes,
    }


def bench_case(case: str, *, run_slow_anchor: bool) -> list[dict[str, Any]]:
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare
    from pabutools.rules import method_of_equal_shares as p_mes

    path = _shared_file(case)
    rows: list[dict[str, Any]] = []
    (instance, profile), t_parse, _ = _timed(lambda: read(path))
    _, _, m_parse = _timed(lambda: read(path), memory=True)
    (p_inst, p_prof), a_parse, _ = _timed(lambda: parse_pabulib(str(path)))
    rows.append(_row(case, "parse", t_parse, a_parse, f"ours peak {m_parse:.0f} MiB"))

    # pabutools' Cost_Sat counts a ranking as an approval of every ranked project, while we
    # (and Pabulib's official counts) give ranked ballots positional points: on ordinal files
    # the two sides compute different outcomes, so times are shown but not compared as equal.
    like_for_like = instance.meta.get("vote_type", "") != "ordinal"
    differs = "" if like_for_like else "; not like for like (ordinal: positional points)"

    g, t_greedy, _ = _timed(lambda: greedy(instance, profile))
    sat = Cost_Sat  # pabutools' greedy ranks by satisfaction / cost: cost utility = by votes
    pg, a_greedy, _ = _timed(lambda: greedy_utilitarian_welfare(p_inst, p_prof, sat_class=sat))
    same = sorted(g.selected) == sorted(p.name for p in pg)
    rows.append(_row(case, "greedy", t_greedy, a_greedy, f"equal={same}{differs}"))

    def ours_mes(completion: Completion) -> Any:
        return method_of_equal_shares(
            instance,
            profile,
            utility=Utility.COST,
            completion=completion,
            tie_breaking=TieBreaking.LEXICOGRAPHIC,
        )

    m, t_mes = _best_of(3, lambda: ours_mes(Completion.NONE))
    _, _, m_mes = _timed(lambda: ours_mes(Completion.NONE), memory=True)
    pm, a_mes, _ = _timed(lambda: p_mes(p_inst, p_prof, sat_class=Cost_Sat))
    same = sorted(m.selected) == sorted(p.name for p in pm)
    rows.append(
        _row(case, "MES", t_mes, a_mes, f"equal={same}; ours peak {m_mes:.0f} MiB{differs}")
    )

    a1, t_add1, _ = _timed(lambda: ours_mes(Completion.ADD1_PABUTOOLS))
    runs = a1.parameters["mes_runs"]
    if run_slow_anchor:
        pa, a_add1, _ = _timed(
            lambda: p_mes(p_inst, p_prof, sat_class=Cost_Sat, voter_budget_increment=1)
        )
        same = sorted(a1.selected) == sorted(p.name for p in pa)
        rows.append(_row(case, "MES+Add1", t_add1, a_add1, f"equal={same}; {runs} MES runs"))
    else:
        rows.append(_row(case, "MES+Add1", t_add1, None, f"{SLOW_ANCHOR_NOTE}; {runs} MES runs"))
    official, t_off, _ = _timed(lambda: ours_mes(Completion.ADD1))
    rows.append(
        _row(case, "MES+Add1 (Pabulib)", t_off, None, f"{official.parameters['mes_runs']} runs")
    )
    return rows


WHOLE_PROCESS_CASE = "Lodz 2022"


def _shared_file(case: str) -> Path:
    shared = shared_data_dir()
    if shared is None:
        raise SystemExit(
            "The budgeting bench reads the big Pabulib files of the full shared data sets: "
            "put them in ../shared/data beside the clone or set SOLIDARIA_SHARED_DATA."
        )
    return shared / "pabulib" / FILES[case]


def whole_process(case: str = WHOLE_PROCESS_CASE) -> list[dict[str, Any]]:
    """`solidaria pb count --rule mes` against pabutools and against itself through Django,
    each a whole process, best of 3 (see the module docstring)."""
    import sys

    path = str(_shared_file(case))
    timed = best_wall(
        {
            "ours": console("pb", "count", "--rule", "mes", "--json", path),
            "django": through_django("pb", "count", "--rule", "mes", "--json", path),
            "pabutools": [sys.executable, "-m", "bench.pabutools_mes", path],
        }
    )
    ours, pabutools, django = timed["ours"], timed["pabutools"], timed["django"]
    selected = sorted(json.loads(ours.stdout)["selected"])
    same = selected == json.loads(pabutools.stdout)
    same_django = json.loads(django.stdout) == json.loads(ours.stdout)
    return [
        _row(
            case,
            "pb count --rule mes, whole process",
            ours.best,
            pabutools.best,
            f"equal={same}; best of 3 wall times, each a fresh process (ours {ours.every()} s, "
            f"pabutools {pabutools.every()} s); anchor: pabutools parse_pabulib + "
            "method_of_equal_shares(Cost_Sat) in a script",
        ),
        _row(
            case,
            "pb count --rule mes, whole process, CPU time",
            ours.cpu,
            pabutools.cpu,
            "user+system CPU of each child process, least of 3 (less sensitive to other load)",
        ),
        _row(
            case,
            "pb count --rule mes, whole process vs through Django",
            ours.best,
            django.best,
            f"same output={same_django}; anchor: the same verb after setting Django up "
            f"(manage.py pb count), i.e. before issue 14 ({django.every()} s)",
        ),
    ]


def _markdown(rows: list[dict[str, Any]], rss: float) -> str:
    lines = [
        "# Budgeting: ours vs pabutools 1.2.3",
        "",
        "| case | metric | ours (s) | pabutools (s) | ratio | notes |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        anchor = "-" if r["anchor"] is None else f"{r['anchor']:.3f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']}x"
        lines.append(
            f"| {r['case']} | {r['metric']} | {r['ours']:.4f} | {anchor} | {ratio} | {r['notes']} |"
        )
    mes = [
        r
        for r in rows
        if r["metric"] == "MES" and r["ratio"] and "not like for like" not in r["notes"]
    ]
    add1 = [r for r in rows if r["metric"] == "MES+Add1" and r["case"] == "Warszawa 2026"]
    whole = [r for r in rows if r["metric"] == "pb count --rule mes, whole process"]
    verdict = []
    cpu = {r["case"]: r for r in rows if r["metric"].endswith("whole process, CPU time")}
    for r in whole:
        goal = "met" if r["ratio"] and r["ratio"] >= 100 else "NOT met"
        by_cpu = cpu.get(r["case"], {}).get("ratio")
        verdict.append(
            f"whole-process `pb count --rule mes` on {r['case']} ≥100× faster than pabutools: "
            f"{goal} ({r['ratio']}× wall: {r['ours']:.2f} s vs {r['anchor']:.1f} s; "
            f"{by_cpu}× in CPU time)"
        )
    if mes:
        worst = min(r["ratio"] for r in mes)
        verdict.append(
            f"plain MES ≥100× faster: {'met' if worst >= 100 else 'NOT met'} (min {worst}×)"
        )
    if add1:
        r = add1[0]
        if r["ratio"]:
            goal = "met" if r["ratio"] >= 50 else "NOT met"
            verdict.append(f"MES+Add1 on Warszawa ≥50×: {goal} ({r['ratio']}×)")
        else:
            ratio = 440 / r["ours"]
            verdict.append(
                f"MES+Add1 on Warszawa ≥50×: anchor not measured in this run; against the "
                f"issue's 440 s it would be {ratio:.0f}×"
            )
    lines += [
        "",
        f"Max RSS of the bench process: {rss:.0f} MiB. Load average at the end: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + f" on {os.cpu_count()} CPUs (ours: MES best of 3, others single runs).",
        "",
        "Verdict: " + "; ".join(verdict),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Warszawa and Łódź only")
    parser.add_argument(
        "--run-slow-anchor",
        action="store_true",
        help="also time pabutools' MES+Add1 on Warszawa 2026 (about 440 s; ignored with --quick)",
    )
    parser.add_argument("--case", action="append", choices=list(FILES), help="only these cases")
    parser.add_argument(
        "--whole-process-only",
        action="store_true",
        help="only the whole-process row (writes budgeting-whole-process.json/.md)",
    )
    args = parser.parse_args(argv)
    cases = args.case or (QUICK if args.quick else list(FILES))
    if args.whole_process_only:
        cases = []
    rows: list[dict[str, Any]] = []
    if not args.case or WHOLE_PROCESS_CASE in args.case:
        print(f"budgeting: whole process on {WHOLE_PROCESS_CASE}", flush=True)
        rows += whole_process()
        for r in rows:
            print("  ", r, flush=True)
    for case in cases:
        print(f"budgeting: {case}", flush=True)
        slow = args.run_slow_anchor and not args.quick and case == "Warszawa 2026"
        rows += bench_case(case, run_slow_anchor=slow)
        for r in rows[-6:]:
            print("  ", r, flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = (
        "budgeting-whole-process"
        if args.whole_process_only
        else "budgeting-" + "-".join(c.split()[0].lower() for c in args.case)
        if args.case
        else "budgeting"
    )
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(_markdown(rows, rss), encoding="utf-8")
    bad = [r for r in rows if "equal=False" in r["notes"] and "not like for like" not in r["notes"]]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
