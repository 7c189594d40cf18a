from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from solidaria.accounts.models import User
from solidaria.ledger.models import Currency


class ObligationForm(forms.Form):
    """Record an invoice: I owe someone, or someone owes me."""

    DIRECTIONS = [("i_owe", _("I owe them")), ("they_owe", _("They owe me"))]

    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS)
    counterparty = forms.ModelChoiceField(
        label=_("Member"), queryset=User.objects.filter(is_active=True).order_by("username")
    )
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.filter(is_active=True)
    )
    amount = forms.CharField(label=_("Amount"), max_length=32)
    reference = forms.CharField(label=_("Invoice reference"), max_length=100, required=False)
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput)


class ImportForm(forms.Form):
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.filter(is_active=True)
    )
    file = forms.FileField(
        label=_("CSV file (debtor,creditor,amount[,reference])"), allow_empty_file=True
    )
    confirm_both = forms.BooleanField(
        label=_("Both sides already confirmed these invoices"), required=False
    )


class RunStartForm(forms.Form):
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.filter(is_active=True)
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ProposeForm(forms.Form):
    deadline = forms.DateTimeField(
        label=_("Members answer by"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    reason = forms.CharField(
        label=_("Note to the members"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class ResponseForm(forms.Form):
    ANSWERS = [("accept", _("I accept this set-off")), ("object", _("I object to it"))]

    answer = forms.ChoiceField(label=_("Your answer"), choices=ANSWERS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why (needed when you object)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


def settlement_currencies(obligation_currency: Currency | None = None) -> Any:
    """Ledger currencies the rest can be paid in at par (same kind, same decimals)."""
    rows = Currency.objects.filter(is_active=True).order_by("code")
    if obligation_currency is not None:
        rows = rows.filter(
            unit_kind=obligation_currency.unit_kind, exponent=obligation_currency.exponent
        )
    return rows


class SettleForm(forms.Form):
    """The debtor pays (part of) an obligation's rest on the ledger."""

    currency = forms.ModelChoiceField(label=_("Pay in"), queryset=Currency.objects.none())
    amount = forms.CharField(label=_("Amount"), max_length=32)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, obligation_currency: Currency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["currency"]
        field.queryset = settlement_currencies(obligation_currency)  # type: ignore[attr-defined]


class SettleInForm(forms.Form):
    """A steward chooses the currency an applied run's rest is paid in."""

    currency = forms.ModelChoiceField(
        label=_("Ledger currency"), queryset=Currency.objects.filter(is_active=True)
    )
