"""Every importer and CLI verb on every hostile file of the corpus (`hostile/make_corpus.py`).

A file the reader must refuse gives exit status 2 and one line naming the file, the line
(or JSON path) and the field, and writes nothing; a file it must read exits 0. No reader
ever ends in a traceback. The web upload pages answer the same files with the same
message (never a 500).
"""

from __future__ import annotations

import contextlib
import io
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from solidaria.accounts.models import User
from solidaria.clifront import allocate, clear, pb, run_verb, tally
from solidaria.core.tests.hostile.make_corpus import BYLAWS, PATRONAGE, Case, write_corpus

CASES = write_corpus(Path("corpus"), write=False)
PURE = ("clear", "pb", "tally", "allocate", "bylaws")
DIRECTORY = ("coopsuk", "dotcoop", "susy", "murmurations")


@dataclass
class Outcome:
    status: int
    out: str
    err: str
    crash: str = ""  # the traceback, when an exception escaped

    @property
    def message(self) -> str:
        return self.err.removeprefix("CommandError: ").rstrip("\n")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    root = tmp_path_factory.mktemp("hostile")
    return {case.id: case for case in write_corpus(root)}


def _capture(call: Callable[[], int | None]) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = call() or 0
        except CommandError as exc:
            err.write(f"CommandError: {exc}\n")
            status = exc.returncode
        except SystemExit as exc:  # argparse
            status = int(exc.code or 0)
        except BaseException:  # noqa: BLE001 - the point: nothing may escape
            return Outcome(-1, out.getvalue(), err.getvalue(), traceback.format_exc())
    return Outcome(status, out.getvalue(), err.getvalue())


def run_pure(case: Case, tmp: Path) -> Outcome:
    """The console-script front-end of the verb (what `solidaria VERB` runs)."""
    path = str(case.path)
    if case.target == "clear":
        verb, argv = clear, [path, "--json"]
    elif case.target == "pb":
        verb, argv = pb, ["count", path, "--json"]
    elif case.target == "tally":
        verb, argv = tally, [path, "--json"]
    else:
        bylaws, patronage = tmp / "bylaws.json", tmp / "patronage.csv"
        bylaws.write_text(__import__("json").dumps(BYLAWS), encoding="utf-8")
        patronage.write_text(PATRONAGE, encoding="utf-8")
        files = [path, "--bylaws", str(bylaws)]
        if case.target == "bylaws":
            files = [str(patronage), "--bylaws", path]
        verb, argv = allocate, [*files, "--surplus", "1000.00", "--json"]
    return _capture(
        lambda: run_verb(verb.add_arguments, verb.run, prog="solidaria", description="", argv=argv)
    )


def check(case: Case, outcome: Outcome) -> None:
    assert not outcome.crash, outcome.crash
    if case.expect == "ok":
        assert outcome.status == 0, outcome.err
        return
    assert outcome.status == 2, (outcome.status, outcome.out[:200], outcome.err[:200])
    message = outcome.message
    assert "\n" not in message and message, outcome.err
    assert len(message) < 500, message[:500]
    assert message.startswith(f"{case.path}: "), message
    assert case.where in message, message
    assert case.field in message, message


@pytest.mark.parametrize("case", [c for c in CASES if c.target in PURE], ids=lambda c: c.id)
def test_cli_verbs_answer_every_hostile_file(
    case: Case, corpus: dict[str, Case], tmp_path: Path
) -> None:
    case = corpus[case.id]
    check(case, run_pure(case, tmp_path))


# ---------------------------------------------------------------- the database side


@pytest.fixture
def ledger_people(member: User, other_member: User) -> None:
    """ada and bo with accounts in CRED, the names the corpus's ledger files use."""
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger import services
    from solidaria.ledger.models import CreditPolicy

    credits = services.currency_create(
        actor=SYSTEM,
        code="CRED",
        name="Community credits",
        exponent=2,
        default_credit_limit=10_000,
        default_upper_limit=50_000,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    services.account_open(actor=member, currency=credits)
    services.account_open(actor=other_member, currency=credits)


@pytest.fixture
def taxonomies(db: None) -> None:
    from solidaria.directory.taxonomy import load_taxonomies

    load_taxonomies()


def written() -> dict[str, int]:
    """Rows the readers could write: after a refused file, nothing more than before."""
    from solidaria.budgeting.models import Process
    from solidaria.clearing.models import Obligation
    from solidaria.directory.models import Organisation, Provenance
    from solidaria.ledger.models import Transfer

    return {
        "organisations": Organisation.objects.count(),
        "provenance": Provenance.objects.count(),
        "transfers": Transfer.objects.count(),
        "obligations": Obligation.objects.count(),
        "processes": Process.objects.count(),
    }


def run_command(case: Case) -> Outcome:
    """`solidaria ledger import FILE` / `solidaria import directory --format F FILE`."""
    path = str(case.path)
    if case.target == "ledger":
        return _capture(lambda: call_command("ledger", "import", path))
    args = ("import", "directory", "--format", case.target, path, "--no-progress")
    return _capture(lambda: call_command(*args))


@pytest.mark.parametrize("case", [c for c in CASES if c.target == "ledger"], ids=lambda c: c.id)
def test_ledger_import_answers_every_hostile_file_and_writes_nothing(
    case: Case, corpus: dict[str, Case], ledger_people: None
) -> None:
    case = corpus[case.id]
    before = written()
    check(case, run_command(case))
    if case.expect == "error":
        assert written() == before


@pytest.mark.parametrize("case", [c for c in CASES if c.target in DIRECTORY], ids=lambda c: c.id)
def test_directory_import_answers_every_hostile_file_and_writes_nothing(
    case: Case, corpus: dict[str, Case], taxonomies: None
) -> None:
    case = corpus[case.id]
    before = written()
    check(case, run_command(case))
    if case.expect == "error":
        assert written() == before


def test_skip_bad_rows_imports_the_5000_good_rows_and_lists_the_bad_one(
    corpus: dict[str, Case], taxonomies: None
) -> None:
    from solidaria.directory.models import Organisation

    path = str(corpus["coopsuk-bad-row-after-5000"].path)
    args = ("import", "directory", "--format", "coopsuk", path, "--no-progress", "--json")
    outcome = _capture(lambda: call_command(*args, "--skip-bad-rows"))
    assert outcome.status == 0, outcome.err
    report = __import__("json").loads(outcome.out)
    assert (report["created"], report["rejected_rows"]) == (
        5000,
        [{"line": 5002, "reason": "missing name"}],
    )
    assert Organisation.objects.count() == 5000


# ---------------------------------------------------------------- the upload pages

PAGES = {
    **dict.fromkeys(DIRECTORY, "directory:import"),
    "obligations": "clearing:import",
    "pb": "budgeting:import",
}


def upload(client: Client, case: Case) -> tuple[int, str]:
    """Post the file to its upload page as a steward would; (status, page text)."""
    from solidaria.ledger.models import Currency

    data: dict[str, object] = {}
    with case.path.open("rb") as handle:
        if case.target in DIRECTORY:
            data = {"format": case.target, "file": handle}
        elif case.target == "obligations":
            currency = Currency.objects.get(code="CRED")
            data = {"import-currency": currency.pk, "import-file": handle}
        else:
            data = {"file": handle}
        response = client.post(reverse(PAGES[case.target]), data, follow=True)
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("case", [c for c in CASES if c.target in PAGES], ids=lambda c: c.id)
def test_upload_pages_answer_every_hostile_file_with_the_same_message(
    case: Case,
    corpus: dict[str, Case],
    steward: User,
    ledger_people: None,
    taxonomies: None,
) -> None:
    import html

    case = corpus[case.id]
    client = Client(raise_request_exception=False)
    client.force_login(steward)
    before = written()
    status, page = upload(client, case)
    assert status == 200, page[-2000:]
    if case.expect == "ok":
        return
    assert written() == before
    text = html.unescape(page)
    assert f"{case.path.name}: " in text
    assert case.where in text and case.field in text


# ---------------------------------------------------------------- CSV exports


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-12.50", "-12.50"),  # a plain number stays a number
        ("+3", "+3"),
        ("Bakers' Co-op", "Bakers' Co-op"),
        (-5, -5),
    ],
)
def test_safe_cell_neutralises_what_a_spreadsheet_would_run(cell: object, shown: object) -> None:
    from solidaria.core.textfiles import safe_cell

    assert safe_cell(cell) == shown


def test_the_statement_csv_neutralises_a_formula_in_a_memo(
    member: User, ledger_people: None
) -> None:
    import csv

    from solidaria.ledger import services
    from solidaria.ledger.models import Account

    ada = Account.objects.get(owner=member, currency__code="CRED")
    bo = Account.objects.exclude(pk=ada.pk).get(currency__code="CRED", kind="member")
    services.transfer_create(
        actor=member, payer=ada, payee=bo, amount_minor=150, memo="=cmd|' /C calc'!A0", key="f"
    )
    client = Client()
    client.force_login(member)
    response = client.get(reverse("ledger:account", args=[ada.pk]), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["memo"], r["amount"]) for r in rows] == [("'=cmd|' /C calc'!A0", "-1.50")]


def test_the_upload_page_imports_all_or_nothing_unless_bad_rows_are_skipped(
    steward_client: Client, taxonomies: None, tmp_path: Path
) -> None:
    from solidaria.core.tests.hostile.make_corpus import coopsuk, coopsuk_row
    from solidaria.directory.models import Organisation

    path = tmp_path / "mixed.csv"
    path.write_text(
        coopsuk([coopsuk_row("A", "Alpha"), coopsuk_row("B", ""), coopsuk_row("C", "Gamma")])
    )
    url = reverse("directory:import")
    # when posted as it is: refused, with the line and field, and nothing imported
    with path.open("rb") as handle:
        page = steward_client.post(url, {"format": "coopsuk", "file": handle}).content.decode()
    assert "mixed.csv: line 3: name: missing name" in page
    assert Organisation.objects.count() == 0
    # when posted with "skip bad rows": the good rows are imported and the bad one listed
    with path.open("rb") as handle:
        data = {"format": "coopsuk", "file": handle, "skip_bad_rows": "on"}
        page = steward_client.post(url, data).content.decode()
    assert sorted(Organisation.objects.values_list("name", flat=True)) == ["Alpha", "Gamma"]
    assert "<td>line 3</td><td>name: missing name</td>" in page
