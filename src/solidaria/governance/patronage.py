"""Patronage read from the ledger, for a surplus allocation over a period.

* Hours worked: what each member was paid in a time currency (a time bank's minutes) in
  the period, from anyone.
* Purchases: what each member paid into the co-op's account in its currency in the
  period, share payments (category `shares`) left out.

Only completed payments count (payments, accepted requests, bulk and imported
payments: no starting grants, levies or reversals), and a payment that was reversed
counts for nothing. The period is inclusive, in the instance's time zone, by the day
each payment completed. Every figure comes with the number of payments it sums, so the
allocation page can say where it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core.errors import ValidationFailed
from solidaria.governance.models import Cooperative, Membership

COUNTED_KINDS = ("payment", "request", "bulk", "import")
SHARES_CATEGORY = "shares"


@dataclass(frozen=True)
class LedgerPatronage:
    """One member's figures: minutes and purchases (minor units), each with the number
    of payments it sums."""

    membership: Membership
    hours_minutes: int = 0
    hours_transfers: int = 0
    purchases_minor: int = 0
    purchases_transfers: int = 0

    @property
    def username(self) -> str:
        return str(self.membership.user.username)

    @property
    def is_zero(self) -> bool:
        return not (self.hours_minutes or self.purchases_minor)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if start > end:
        raise ValidationFailed(_("the period ends before it starts"), field="period_end")
    tz = timezone.get_current_timezone()
    low = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    high = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz)
    return low, high


def _counted(currency: Any, low: dt.datetime, high: dt.datetime) -> Any:
    from solidaria.ledger.models import Transfer

    return Transfer.objects.filter(
        currency=currency,
        status=Transfer.Status.COMPLETED,
        kind__in=COUNTED_KINDS,
        completed_at__gte=low,
        completed_at__lt=high,
        reversed_by__isnull=True,
    )


def from_ledger(
    coop: Cooperative,
    *,
    start: dt.date,
    end: dt.date,
    hours_currency: Any = None,
    purchases_account: Any = None,
) -> list[LedgerPatronage]:
    """Each member's patronage in the period: every current member, and former members
    with patronage in it; by user name."""
    from solidaria.ledger.models import Account

    if hours_currency is None and purchases_account is None:
        raise ValidationFailed(
            _("take hours from a time currency, purchases from the co-op's account, or both"),
            field="source",
        )
    if hours_currency is not None and not hours_currency.is_time:
        raise ValidationFailed(
            _("%(code)s does not count time: choose a time bank's currency")
            % {"code": hours_currency.code},
            field="hours_currency",
        )
    low, high = _bounds(start, end)
    memberships = (
        Membership.objects.filter(coop=coop)
        .filter(Q(status=Membership.Status.ACTIVE) | Q(status=Membership.Status.ENDED))
        .select_related("user")
        .order_by("user__username", "status", "-applied_at")
    )
    by_user: dict[int, Membership] = {}
    for m in memberships:  # active first for each person (status order: active < ended)
        by_user.setdefault(m.user_id, m)
    hours: dict[int, tuple[int, int]] = {}
    if hours_currency is not None:
        rows = (
            _counted(hours_currency, low, high)
            .filter(payee__kind=Account.Kind.MEMBER, payee__owner_id__in=list(by_user))
            .values("payee__owner_id")
            .annotate(total=Sum("amount_minor"), n=Count("id"))
        )
        hours = {r["payee__owner_id"]: (int(r["total"]), int(r["n"])) for r in rows}
    purchases: dict[int, tuple[int, int]] = {}
    if purchases_account is not None:
        rows = (
            _counted(purchases_account.currency, low, high)
            .filter(
                payee=purchases_account,
                payer__kind=Account.Kind.MEMBER,
                payer__owner_id__in=list(by_user),
            )
            .exclude(category=SHARES_CATEGORY)
            .values("payer__owner_id")
            .annotate(total=Sum("amount_minor"), n=Count("id"))
        )
        purchases = {r["payer__owner_id"]: (int(r["total"]), int(r["n"])) for r in rows}
    out = []
    for user_id, m in by_user.items():
        h, hn = hours.get(user_id, (0, 0))
        p, pn = purchases.get(user_id, (0, 0))
        figure = LedgerPatronage(m, h, hn, p, pn)
        if m.status == Membership.Status.ACTIVE or not figure.is_zero:
            out.append(figure)
    return sorted(out, key=lambda f: f.username)
