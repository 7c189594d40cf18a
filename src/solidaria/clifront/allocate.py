"""`solidaria allocate --surplus AMOUNT --bylaws BYLAWS.json PATRONAGE.csv [--json]`.

Splits a surplus (a decimal amount, read exactly to cents) by the bylaws (format in
`governance/engine/bylaws.py`, example in `engine/example_bylaws.json`) and the
patronage CSV (`member,hours,purchases`). Prints each fund's and each member's share;
--json prints {"surplus_cents", "bylaws_version", "funds", "members", "residue_cents"}.
Pure: no database. Bad input exits 2 naming the line and field.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from collections.abc import Mapping
from typing import Any

from solidaria.clifront import CliError, Writer, run_verb
from solidaria.core.textfiles import JsonFileError, TextFileError, parse_json, read_text
from solidaria.governance.engine.allocation import Allocation, AllocationError, allocate_scaled
from solidaria.governance.engine.bylaws import BYLAWS_KEYS, BylawsError, bylaws_from_dict
from solidaria.governance.engine.patronage_csv import InputError, parse_cents, read_patronage


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _read(path: str) -> str:
    try:
        return read_text(path)
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror}") from None
    except TextFileError as exc:
        raise CliError(f"{path}: {exc}") from None


def _bylaws_error(path: str, exc: BylawsError) -> CliError:
    """The bylaws' problem with its JSON path ($.reserves, $.mixed_weights.hours)."""
    key = exc.field.split(".")[0]
    if key in BYLAWS_KEYS:
        return CliError(f"{path}: $.{exc.field}: {exc.message}")
    if exc.field == "bylaws":
        return CliError(f"{path}: $: {exc.message}")
    return CliError(f"{path}: $: {exc}")


HELP = "Allocate a year's surplus to funds and members by bylaws and patronage."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("patronage", metavar="PATRONAGE.csv")
    parser.add_argument("--surplus", required=True, metavar="AMOUNT")
    parser.add_argument("--bylaws", required=True, metavar="BYLAWS.json")
    parser.add_argument("--json", action="store_true")


def run(options: Mapping[str, Any], stdout: Writer, stderr: Writer) -> None:
    try:
        surplus = parse_cents(options["surplus"])
    except ValueError as exc:
        raise CliError(f"--surplus: {exc}") from None
    if surplus < 0:
        raise CliError("--surplus: negative; losses are not allocated")
    bylaws_path = options["bylaws"]
    try:
        data = parse_json(_read(bylaws_path))
    except JsonFileError as exc:
        raise CliError(f"{bylaws_path}: {exc}") from None
    try:
        bylaws = bylaws_from_dict(data)
    except BylawsError as exc:
        raise _bylaws_error(bylaws_path, exc) from None
    csv_path = options["patronage"]
    try:
        columns = read_patronage(_read(csv_path))
        allocation = allocate_scaled(
            surplus, bylaws, columns.members, columns.hours, columns.purchases
        )
    except InputError as exc:
        raise CliError(f"{csv_path}: {exc}") from None
    except AllocationError as exc:
        raise CliError(f"{csv_path}: {exc}") from None
    if options.get("json"):
        stdout.write(json.dumps(as_json(allocation), ensure_ascii=False))
    else:
        stdout.write(as_text(allocation))


def as_text(a: Allocation) -> str:
    lines = [
        f"surplus {_money(a.surplus_cents)} (bylaws {a.bylaws.version})",
        "funds:",
    ]
    lines += [f"  {f.account:<24} {_money(f.cents):>14}" for f in a.funds]
    lines.append("members:                        total           cash        capital")
    lines += [
        f"  {m.member:<24} {_money(m.cents):>14} {_money(m.cash_cents):>14}"
        f" {_money(m.capital_cents):>14}"
        for m in a.members
    ]
    if a.residue_cents:
        lines.append(f"rounding residue to {a.bylaws.collective_account}: {a.residue_cents} cents")
    return "\n".join(lines)


def as_json(a: Allocation) -> dict[str, Any]:
    """Cents as integers, with the bylaws version and settings used."""
    return {
        "surplus_cents": a.surplus_cents,
        "bylaws_version": a.bylaws.version,
        "bylaws": a.bylaws.as_dict(),
        "funds": [{"account": f.account, "cents": f.cents} for f in a.funds],
        "members": [
            {
                "member": m.member,
                "cents": m.cents,
                "cash_cents": m.cash_cents,
                "capital_cents": m.capital_cents,
                "patronage_share": m.patronage_share_text,
            }
            for m in a.members
        ],
        "residue_cents": a.residue_cents,
        "engine_version": a.engine_version,
    }


def main(argv: list[str] | None = None, prog: str = "solidaria allocate") -> int:
    args = sys.argv[1:] if argv is None else argv
    return run_verb(add_arguments, run, prog=prog, description=HELP, argv=args)
