"""Forms for shares paid on the ledger and allocations computed from it; they parse
input, services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from solidaria.core.money import AmountError, parse_minor
from solidaria.governance.models import ShareOrder, ShareType
from solidaria.ledger.models import Currency


class SharePaymentForm(forms.Form):
    """Subscribe or redeem shares, paid now or through a payment request. A member acts
    for themselves; a co-op steward names the member."""

    operation = forms.ChoiceField(
        label=_("what to do"),
        choices=[
            (ShareOrder.Kind.SUBSCRIPTION, _("buy shares (subscription)")),
            (ShareOrder.Kind.REDEMPTION, _("sell shares back to the co-op (redemption)")),
        ],
    )
    member = forms.CharField(
        label=_("member (user name)"),
        max_length=150,
        required=False,
        help_text=_("stewards only: leave empty for yourself"),
    )
    share_type = forms.ModelChoiceField(queryset=ShareType.objects.none(), label=_("share type"))
    quantity = forms.IntegerField(label=_("number of shares"), min_value=1)
    pay_now = forms.BooleanField(
        label=_("Pay now: I authorise this payment from the paying account"),
        required=False,
        help_text=_(
            "Without this, a payment request is sent to the payer, and the shares are entered "
            "in the register when it is paid."
        ),
    )
    memo = forms.CharField(label=_("memo"), max_length=200, required=False)

    def __init__(self, *args: Any, coop: Any, is_steward: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_steward = is_steward
        self.fields["share_type"].queryset = coop.share_types.filter(is_active=True)  # type: ignore[attr-defined]
        if not is_steward:
            del self.fields["member"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        redeeming = data.get("operation") == ShareOrder.Kind.REDEMPTION
        if redeeming and data.get("pay_now") and not self.is_steward:
            raise forms.ValidationError(
                _(
                    "Only the co-op's stewards pay shares back at once; leave 'pay now' "
                    "unticked to ask the co-op, which pays when it accepts."
                )
            )
        return data


class LedgerAllocationForm(forms.Form):
    """A year's surplus shared by patronage read from the ledger over a period."""

    year = forms.IntegerField(label=_("year"), min_value=1900, max_value=3000)
    surplus = forms.CharField(label=_("surplus"), help_text=_("for example 12500.00"))
    period_start = forms.DateField(
        label=_("patronage from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("patronage until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    hours_currency = forms.ModelChoiceField(
        queryset=Currency.objects.none(),
        label=_("hours worked: time paid to members in"),
        required=False,
        empty_label=_("(no hours)"),
    )
    include_purchases = forms.BooleanField(
        label=_("purchases: what members paid into the co-op's account"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hours_currency"].queryset = Currency.objects.filter(  # type: ignore[attr-defined]
            unit_kind=Currency.UnitKind.TIME, exponent=0, is_active=True
        ).order_by("code")
        if not self.is_bound:
            last = dt.date.today().year - 1
            self.initial.update(
                {
                    "year": last,
                    "period_start": dt.date(last, 1, 1),
                    "period_end": dt.date(last, 12, 31),
                }
            )

    def clean_surplus(self) -> int:
        try:
            return parse_minor(self.cleaned_data["surplus"], exponent=2)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from None


class AssemblyPollForm(forms.Form):
    closes_at = forms.DateTimeField(
        label=_("the general assembly's poll closes at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
