"""Test and demo data for the directory: organisations and the people who run them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from solidaria.directory.importers.cleaning import name_key
from solidaria.directory.models import Operator, Organisation


def make_operator(organisation: Organisation, user: Any, *, reason: str = "I run it") -> Operator:
    """A confirmed operator, as a steward's confirmation of a claim leaves it."""
    now = timezone.now()
    return Operator.objects.create(
        organisation=organisation,
        user=user,
        status=Operator.Status.CONFIRMED,
        reason=reason,
        claimed_at=now,
        decided_at=now,
    )


def make_organisation(
    name: str, *, operators: tuple[Any, ...] = (), created_by: Any = None, **fields: Any
) -> Organisation:
    """A directory organisation (confirmed unless told otherwise) run by `operators`."""
    fields.setdefault("status", Organisation.Status.CONFIRMED)
    org = Organisation(name=name, created_by=created_by, **fields)
    org.name_key = name_key(name)
    org.save()
    for user in operators:
        make_operator(org, user)
    return org
