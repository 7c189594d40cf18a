"""Demo data: a finished process from a real Pabulib file (Assen 2024, decided by the
Method of Equal Shares with Add1), counted and published, and an open vote for the demo
members. Idempotent: processes that exist are left alone."""

from __future__ import annotations

from typing import Any

from solidaria.budgeting import services
from solidaria.budgeting.models import BallotType, Completion, Electorate, Process, Rule
from solidaria.core.demo import STEWARD, demo_users
from solidaria.core.paths import bundled_data_dir

PABULIB_FILE = "Netherlands_Assen_2024.pb"
FINISHED_SLUG = "assen-2024"
OPEN_SLUG = "neighbourhood-fund"
OPEN_PROJECTS = [
    # title, cost (EUR), category, place, description
    ("Community fridge", 1800, "food", "Market square", "A shared fridge against food waste."),
    ("Repair café tools", 1200, "circular economy", "Library", "Tools for monthly repair days."),
    ("Bike lane paint", 4000, "mobility", "Station road", "Mark a safe lane to the school."),
    ("Tree planting", 2500, "nature", "North park", "Twenty native trees with local schools."),
    ("Solar bench", 3000, "energy", "Town hall", "A bench that charges phones."),
]


def load(*, stdout: Any) -> None:
    users = demo_users()
    steward = users[STEWARD]
    _finished(steward, stdout)
    _open(steward, users, stdout)


def _finished(steward: Any, stdout: Any) -> None:
    if Process.objects.filter(slug=FINISHED_SLUG).exists():
        stdout.write(f"  budgeting: {FINISHED_SLUG} exists")
        return
    path = bundled_data_dir() / "pabulib" / PABULIB_FILE
    if not path.is_file():
        stdout.write(f"  budgeting: {path} not found; finished process skipped")
        return
    process = services.process_import_pabulib(
        actor=steward,
        text=path.read_text(encoding="utf-8-sig"),
        source=f"pabulib: {PABULIB_FILE}",
        slug=FINISHED_SLUG,
        title="Assen Top Idee 2024",
    )
    result = services.count_run(actor=steward, process=process)
    services.result_publish(actor=steward, result=result)
    stdout.write(
        f"  budgeting: {FINISHED_SLUG}: {process.ballots.count()} ballots, "
        f"funded {len(result.selected)} projects for {result.total_cost_minor} EUR"
    )


def _open(steward: Any, users: dict[str, Any], stdout: Any) -> None:
    if Process.objects.filter(slug=OPEN_SLUG).exists():
        stdout.write(f"  budgeting: {OPEN_SLUG} exists")
        return
    process = services.process_create(
        actor=steward,
        settings=services.ProcessSettings(
            title="Neighbourhood fund",
            slug=OPEN_SLUG,
            description="Choose up to three projects for our neighbourhood.",
            currency="EUR",
            currency_exponent=0,
            budget_minor=7000,
            electorate=Electorate.MEMBERS,
            ballot_type=BallotType.APPROVAL,
            min_length=1,
            max_length=3,
            rule=Rule.MES,
            completion=Completion.ADD1,
        ),
    )
    proposers = [u for name, u in users.items() if name != STEWARD]
    projects = [
        services.project_submit(
            actor=proposers[i % len(proposers)],
            process=process,
            title=title,
            description=description,
            cost_minor=cost,
            category=category,
            district=place,
        )
        for i, (title, cost, category, place, description) in enumerate(OPEN_PROJECTS)
    ]
    services.phase_advance(actor=steward, process=process)
    for project in projects:
        services.project_review(actor=steward, project=project, status="feasible")
    services.phase_advance(actor=steward, process=process)
    stdout.write(f"  budgeting: {OPEN_SLUG}: voting open with {len(projects)} projects")
