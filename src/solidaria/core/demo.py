"""Demo people shared by every app's demo data. Passwords are printed by `solidaria demo`."""

from __future__ import annotations

from solidaria.accounts.factories import make_person
from solidaria.accounts.models import User

DEMO_PASSWORD = "solidaria-demo"
STEWARD = "steward"
MEMBERS = ["ana", "bilal", "chen", "dolores", "emeka", "farah"]


def demo_users() -> dict[str, User]:
    """The demo steward and admitted members, created once (idempotent)."""
    users: dict[str, User] = {}
    for username in [STEWARD, *MEMBERS]:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = make_person(
                username,
                email=f"{username}@demo.solidaria.invalid",
                password=DEMO_PASSWORD,
                first_name=username.capitalize(),
                role=User.Role.STEWARD if username == STEWARD else User.Role.MEMBER,
                is_staff=username == STEWARD,
                is_superuser=username == STEWARD,
            )
        users[username] = user
    return users
