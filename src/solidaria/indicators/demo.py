"""Demo: the network reports of last year (when the demo balances were published) and of
the current year, computed from the other apps' demo data (run last, after the ledger,
clearing, budgeting and governance demos). Before that, the demo people declare a gender
on their profile and a few more members join who did too (the neighbours below), so the
gender-balance figures show groups of 5 or more and cells of fewer than 5 suppressed."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from solidaria.core.permissions import SYSTEM
from solidaria.indicators import services

# what the demo people declare on their profile (the steward declares nothing)
GENDERS = {
    "ana": "woman",
    "bilal": "man",
    "chen": "woman",
    "dolores": "woman",
    "emeka": "man",
    "farah": "prefer_not_to_say",
}
# members who take part in nothing else of the demo: name -> declared gender
NEIGHBOURS = {
    "grace": "woman",
    "hana": "woman",
    "ines": "woman",
    "jo": "non_binary",
    "kofi": "man",
    "luis": "man",
    "malik": "man",
    "nadia": "woman",
    "omar": "",
    "priya": "woman",
    "quinn": "another",
    "rosa": "",
    "sam": "",
    "tariq": "man",
}


def declare_genders(*, stdout: Any) -> None:
    """Idempotent: a person who already declared keeps their answer."""
    from solidaria.accounts import services as accounts
    from solidaria.accounts.factories import make_person
    from solidaria.accounts.models import User
    from solidaria.core.demo import demo_users

    users = demo_users()
    for name, gender in GENDERS.items():
        user = users[name]
        if not user.gender:
            accounts.profile_update(
                actor=user,
                first_name=user.first_name,
                last_name=user.last_name,
                email=user.email,
                gender=gender,
            )
    made = 0
    for name, gender in NEIGHBOURS.items():
        if not User.objects.filter(username=name).exists():
            make_person(
                name,
                email=f"{name}@demo.solidaria.invalid",
                first_name=name.capitalize(),
                gender=gender,
                gender_other="two-spirit" if gender == "another" else "",
            )
            made += 1
    stdout.write(f"  genders declared; {made} more members joined\n")


def load(*, stdout: Any) -> None:
    from solidaria.indicators import demo_balances

    demo_balances.load(stdout=stdout)
    declare_genders(stdout=stdout)
    year = timezone.now().year
    for y in (year - 1, year):
        report = services.report_compute(actor=SYSTEM, year=y)
        stdout.write(f"  network report {y}: {len(report.figures)} figures\n")
