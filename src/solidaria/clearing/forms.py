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
    file = forms.FileField(label=_("CSV file (debtor,creditor,amount[,reference])"))
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
