"""The network in figures, for its public transparency page.

Only aggregates: how many members, accounts and transfers per currency, volume per month,
how much clearing set off, turnout of public budgeting processes, and the ledger's latest
signed checkpoint with how to check it. Nothing here names a person or shows one
person's position. The figures are computed in a handful of grouped queries and cached
for `CACHE_SECONDS` (they are plain numbers and strings, the same in every language; the
page words them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from solidaria.core.models import Visibility

CACHE_KEY = "core.transparency.figures.v1"
CACHE_SECONDS = 120
MONTHS = 12
CHART_WIDTH = 640
BAR_HEIGHT = 22
LABEL_WIDTH = 90


@dataclass(frozen=True)
class Month:
    month: str  # "2026-11"
    transfers: int
    volume_minor: int
    volume_text: str
    bar_width: int  # pixels of the chart's bar, scaled to the busiest month
    y: int
    first_day: dt.date | None = None  # shown to people as the locale's month and year


@dataclass(frozen=True)
class CurrencyFigures:
    code: str
    name: str
    is_time: bool
    accounts: int
    transfers: int
    volume_minor: int
    volume_text: str
    set_off_minor: int
    set_off_text: str
    months: list[Month] = field(default_factory=list)

    @property
    def chart_height(self) -> int:
        return max(1, len(self.months)) * BAR_HEIGHT + 4


@dataclass(frozen=True)
class Turnout:
    title: str
    slug: str
    ballots: int
    eligible: int | None  # None: the size of the electorate is not known
    percent_text: str  # "" when eligible is unknown


@dataclass(frozen=True)
class Figures:
    members: int
    organisations: int
    currencies: list[CurrencyFigures]
    turnout: list[Turnout]
    checkpoint: dict[str, Any] | None
    computed_at: dt.datetime


def _text(amount: int, currency: Any) -> str:
    return f"{currency.format(amount)} {currency.code}"


def _months(currency: Any, rows: dict[Any, Any]) -> list[Month]:
    """The last MONTHS months, oldest first, each with a bar scaled to the busiest one."""
    now = timezone.now()
    year, month = now.year, now.month
    keys = []
    for _i in range(MONTHS):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    top = max((rows.get((currency.pk, k), (0, 0))[1] for k in keys), default=0) or 1
    plot = CHART_WIDTH - LABEL_WIDTH - 10
    found = []
    for i, key in enumerate(keys):
        count, volume = rows.get((currency.pk, key), (0, 0))
        found.append(
            Month(
                month=key,
                transfers=count,
                volume_minor=volume,
                volume_text=_text(volume, currency),
                bar_width=volume * plot // top,
                y=i * BAR_HEIGHT + 2,
                first_day=dt.date(int(key[:4]), int(key[5:]), 1),
            )
        )
    return found


def _currencies() -> list[CurrencyFigures]:
    from solidaria.clearing.models import ClearingRun, RunItem
    from solidaria.ledger.models import Account, Currency, Transfer

    currencies = list(Currency.objects.filter(is_active=True).order_by("code"))
    accounts = dict(
        Account.objects.filter(is_active=True)
        .exclude(kind=Account.Kind.SYSTEM)
        .values_list("currency_id")
        .annotate(n=Count("id"))
    )
    completed = Transfer.objects.filter(status=Transfer.Status.COMPLETED)
    totals = {
        row["currency_id"]: (row["n"], row["volume"] or 0)
        for row in completed.values("currency_id").annotate(
            n=Count("id"), volume=Sum("amount_minor")
        )
    }
    since = timezone.now() - dt.timedelta(days=31 * MONTHS)
    monthly: dict[Any, Any] = {}
    for row in (
        completed.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at", tzinfo=dt.UTC))
        .values("currency_id", "month")
        .annotate(n=Count("id"), volume=Sum("amount_minor"))
    ):
        monthly[(row["currency_id"], row["month"].strftime("%Y-%m"))] = (
            row["n"],
            row["volume"] or 0,
        )
    set_off = dict(
        RunItem.objects.filter(run__status=ClearingRun.Status.ACCEPTED)
        .values_list("run__currency_id")
        .annotate(total=Sum("setoff_minor"))
    )
    found = []
    for c in currencies:
        n, volume = totals.get(c.pk, (0, 0))
        off = int(set_off.get(c.pk) or 0)
        found.append(
            CurrencyFigures(
                code=c.code,
                name=c.name,
                is_time=c.unit_kind == Currency.UnitKind.TIME,
                accounts=int(accounts.get(c.pk, 0)),
                transfers=n,
                volume_minor=volume,
                volume_text=_text(volume, c),
                set_off_minor=off,
                set_off_text=_text(off, c),
                months=_months(c, monthly),
            )
        )
    return found


def _percent(part: int, whole: int) -> str:
    """A share as a percentage with one decimal, rounded half up, in integers only."""
    tenths = (part * 1000 * 2 + whole) // (whole * 2)
    return f"{tenths // 10}.{tenths % 10} %"


def _turnout(members: int) -> list[Turnout]:
    """Public processes with a published result: ballots counted, and the share of the
    electorate when its size is known (voting codes issued; admitted members today for
    a members' vote). Imported processes say how many voted, not how many could."""
    from solidaria.budgeting.models import Electorate, Process, Result

    results = (
        Result.objects.filter(published_at__isnull=False, process__visibility=Visibility.PUBLIC)
        .select_related("process")
        .annotate(codes=Count("process__codes", distinct=True))
        .order_by("-published_at")
    )
    seen: set[int] = set()
    found = []
    for r in results:
        process: Process = r.process
        if process.pk in seen:
            continue
        seen.add(process.pk)
        if process.source:
            eligible = None
        elif process.electorate == Electorate.CODES:
            eligible = r.codes or None
        else:
            eligible = members or None
        found.append(
            Turnout(
                title=process.title,
                slug=process.slug,
                ballots=r.num_ballots,
                eligible=eligible,
                percent_text=_percent(r.num_ballots, eligible) if eligible else "",
            )
        )
    return found


def _checkpoint() -> dict[str, Any] | None:
    from solidaria.ledger.checkpoints import published
    from solidaria.ledger.models import Checkpoint

    latest = Checkpoint.objects.order_by("-last_entry_id").first()
    if latest is None:
        return None
    # the published fields, and the time as a datetime for the page's locale
    return {**published(latest), "created": latest.created_at}


def compute() -> Figures:
    from solidaria.accounts.models import Admission, User
    from solidaria.directory.models import Organisation

    members = (
        User.objects.filter(is_active=True)
        .filter(Q(admission=Admission.ADMITTED) | Q(role=User.Role.STEWARD) | Q(is_superuser=True))
        .count()
    )
    return Figures(
        members=members,
        organisations=Organisation.objects.filter(status=Organisation.Status.CONFIRMED).count(),
        currencies=_currencies(),
        turnout=_turnout(members),
        checkpoint=_checkpoint(),
        computed_at=timezone.now(),
    )


def figures() -> Figures:
    """The figures, computed at most once per CACHE_SECONDS (shared by every process when
    the cache is Redis)."""
    found: Figures | None = cache.get(CACHE_KEY)
    if found is None:
        found = compute()
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found
