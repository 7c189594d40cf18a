"""`solidaria indicators ecg RATINGS.json --facts FACTS.json [--stakeholder-weights A=0.5,C=2] [--json]`
and `solidaria indicators catalogue check FILE.json | export KEY`.

`ecg` computes an Economy for the Common Good balance sheet (full balance 5.0.8) the way
the official calculator does: RATINGS.json and FACTS.json are in the calculator's formats
(`data/indicators/ecg/cases/*_ratings_input.json`, `company_facts_non_empty.json`);
`--stakeholder-weights` replaces the weights the facts give to some stakeholder groups.
It prints each topic and aspect with its weight, points and maximum, and the total;
`--json` prints `{"ratings": [{"shortName", "weight", "points", "maxPoints"}, ...],
"total"}` with every number rounded to 6 decimals for display (the computation is exact).
`catalogue check` validates a catalogue document and prints what it holds; `catalogue
export KEY` prints a shipped catalogue (ecg-full-5.0.8, reas-balance-social-2023,
network) as JSON, for a network to adapt and import as its own.
Pure: no database. Bad input exits 2 with one line naming the file and the JSON path.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from solidaria.clifront import CliError, Writer, run_verb

HELP = "Wellbeing indicators: ECG balance sheets (ecg) and catalogues (catalogue check)."
JSON_PLACES = 6


def add_arguments(parser: ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    e = sub.add_parser("ecg", help="compute an ECG balance sheet (Matrix 5.0, full 5.0.8)")
    e.add_argument("ratings", metavar="RATINGS.json")
    e.add_argument("--facts", required=True, metavar="FACTS.json")
    e.add_argument("--stakeholder-weights", metavar="A=0.5,C=2", default="")
    e.add_argument("--json", action="store_true")
    c = sub.add_parser("catalogue", help="catalogue documents")
    c.add_argument("catalogue_action", choices=["check", "export"])
    c.add_argument("file", metavar="FILE.json|KEY")


def _read_json(path: str) -> Any:
    from solidaria.indicators.engine.ecg_io import InputError, load_json

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: not UTF-8 text") from None
    try:
        return load_json(text)
    except InputError as exc:
        raise CliError(f"{path}: {exc}") from None


def number(value: Fraction, places: int = JSON_PLACES) -> str:
    """A JSON number for display: rounded half away from zero, no trailing zeros."""
    from solidaria.indicators.engine.ecg import display

    text = format(display(value, places), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def run(options: Mapping[str, Any], stdout: Writer, stderr: Writer) -> None:
    if options["action"] == "catalogue":
        if options["catalogue_action"] == "export":
            _export_catalogue(options["file"], stdout)
        else:
            _check_catalogue(options["file"], stdout)
        return
    from solidaria.indicators import catalogues
    from solidaria.indicators.engine.ecg import BalanceError, compute_balance
    from solidaria.indicators.engine.ecg_facts import FactsError
    from solidaria.indicators.engine.ecg_io import (
        InputError,
        facts_from_json,
        parse_stakeholder_weights,
        ratings_from_json,
    )

    try:
        chosen = parse_stakeholder_weights(options.get("stakeholder_weights") or "")
    except InputError as exc:
        raise CliError(str(exc)) from None
    ratings_path, facts_path = options["ratings"], options["facts"]
    try:
        ratings = ratings_from_json(_read_json(ratings_path))
    except InputError as exc:
        raise CliError(f"{ratings_path}: {exc}") from None
    try:
        facts = facts_from_json(_read_json(facts_path))
    except InputError as exc:
        raise CliError(f"{facts_path}: {exc}") from None
    catalogue = catalogues.ecg_catalogue()
    tables = catalogues.ecg_tables(catalogue.regions_table, catalogue.industries_table)
    try:
        balance = compute_balance(
            catalogue.topics, ratings, facts, tables, chosen_stakeholder_weights=chosen
        )
    except FactsError as exc:
        raise CliError(f"{facts_path}: {exc}") from None
    except BalanceError as exc:
        where = ratings_path
        if exc.code is not None:
            index = next((i for i, r in enumerate(ratings) if r.code == exc.code), None)
            if index is not None:
                where = f"{ratings_path}: $[{index}]"
            elif exc.code in chosen:
                where = "--stakeholder-weights"
        raise CliError(f"{where}: {exc}") from None
    if options.get("json"):
        items = ", ".join(
            "{"
            f'"shortName": {json.dumps(r.code)}, "weight": {number(r.weight)}, '
            f'"points": {number(r.points)}, "maxPoints": {number(r.max_points)}'
            "}"
            for r in balance.ratings
        )
        stdout.write(f'{{"ratings": [{items}], "total": {number(balance.total)}}}')
        return
    lines = [f"ECG balance sheet {catalogue.version} ({catalogue.id})"]
    weights = ", ".join(f"{g}={number(w, 2)}" for g, w in balance.stakeholder_weights.items())
    lines.append(f"stakeholder weights: {weights}")
    lines.append(f"{'':9}{'weight':>7} {'points':>10} {'max':>10}")
    for r in balance.ratings:
        indent = "" if r.code.count(".") == 0 else "  "
        lines.append(
            f"{indent + r.code:<9}{number(r.weight, 2):>7} {number(r.points, 2):>10} "
            f"{number(r.max_points, 2):>10}  {r.name}"
        )
    lines.append(f"total {number(balance.total, 2)} of 1000")
    stdout.write("\n".join(lines))


def _check_catalogue(path: str, stdout: Writer) -> None:
    from solidaria.indicators.engine.catalogue import (
        CatalogueError,
        EcgCatalogue,
        NetworkCatalogue,
        catalogue_from_dict,
    )

    try:
        cat = catalogue_from_dict(_read_json(path))
    except CatalogueError as exc:
        raise CliError(f"{path}: {exc}") from None
    if isinstance(cat, EcgCatalogue):
        aspects = sum(len(t.aspects) for t in cat.topics)
        stdout.write(f"{cat.id} {cat.version}: ECG, {len(cat.topics)} topics, {aspects} aspects")
    elif isinstance(cat, NetworkCatalogue):
        stdout.write(f"{cat.id} {cat.version}: network, {len(cat.indicators)} indicators")
    else:
        items = cat.items()
        stdout.write(
            f"{cat.id} {cat.version}: questionnaire, {len(cat.groups)} groups, {len(items)} items"
        )


def _export_catalogue(key: str, stdout: Writer) -> None:
    from solidaria.indicators import catalogues
    from solidaria.indicators.engine.catalogue import catalogue_from_dict, catalogue_to_dict

    paths = {**catalogues.SHIPPED, "network": "network/network_1.json"}
    if key not in paths:
        raise CliError(f"unknown catalogue {key!r}; shipped: {', '.join(paths)}")
    doc = json.loads((catalogues.folder() / paths[key]).read_text(encoding="utf-8"))
    stdout.write(
        json.dumps(catalogue_to_dict(catalogue_from_dict(doc)), ensure_ascii=False, indent=1)
    )


def main(argv: list[str] | None = None, prog: str = "solidaria indicators") -> int:
    args = sys.argv[1:] if argv is None else argv
    return run_verb(add_arguments, run, prog=prog, description=HELP, argv=args)
