"""Page forms: they only collect text; services parse amounts and enforce the rules."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from solidaria.ledger.models import Account, CreditPolicy, Currency, Listing
from solidaria.ledger.services import CURRENCY_FIELDS


def _new_key() -> str:
    return uuid.uuid4().hex


AMOUNT_HINT = _(
    "Money: e.g. 12.50. Time-bank hours: 1:30, 1.5 h or 90 min (a plain number is minutes)."
)


def account_label(account: Account) -> str:
    """How a pay or request form names an account: an organisation's says whose."""
    if account.kind == Account.Kind.ORGANISATION:
        return str(_("as %(name)s") % {"name": account.name})
    return account.name


class PayForm(forms.Form):
    payer = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        label=_("From"),
        help_text=_("Your own account, or an organisation's you may pay for."),
    )
    payee_username = forms.CharField(
        label=_("To (member's user name)"),
        max_length=150,
        help_text=_(
            "A member of another network: the network's name, a slash and their user name,"
            " for example B/bob."
        ),
    )
    amount = forms.CharField(label=_("Amount"), max_length=32, help_text=AMOUNT_HINT)
    memo = forms.CharField(label=_("What for"), max_length=200, required=False)
    category = forms.CharField(label=_("Category"), max_length=64, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=_new_key)

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = accounts
        self.fields["payer"].label_from_instance = lambda a: (
            f"{account_label(a)} · {a.currency.code} ({a.currency.format(a.balance)})"
        )


class RequestForm(forms.Form):
    payee = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        label=_("Into"),
        help_text=_("Your own account, or an organisation's you may ask payments for."),
    )
    payer_username = forms.CharField(label=_("From (member's user name)"), max_length=150)
    amount = forms.CharField(label=_("Amount"), max_length=32, help_text=AMOUNT_HINT)
    memo = forms.CharField(label=_("What for"), max_length=200, required=False)
    category = forms.CharField(label=_("Category"), max_length=64, required=False)

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payee"].queryset = accounts
        self.fields["payee"].label_from_instance = lambda a: (
            f"{account_label(a)} · {a.currency.code}"
        )


class JoinForm(forms.Form):
    currency = forms.ModelChoiceField(queryset=Currency.objects.none(), label=_("Currency"))

    def __init__(self, *args: Any, currencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].queryset = currencies


class AccountRequestForm(forms.Form):
    currency = forms.ModelChoiceField(queryset=Currency.objects.none(), label=_("Currency"))
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    note = forms.CharField(
        label=_("Why does the organisation need this account?"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, currencies: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].queryset = currencies
        self.fields["organisation"].queryset = organisations


class AccountRequestDecisionForm(forms.Form):
    request = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("decline", _("Decline"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class CreditPolicyForm(forms.Form):
    credit_policy = forms.ChoiceField(
        label=_("How do new accounts get credit?"),
        choices=CreditPolicy.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Why (for the audit journal)"), max_length=500)


class StatementFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.CharField(label=_("Category"), required=False)
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("in and out")), ("in", _("received")), ("out", _("paid"))],
    )
    q = forms.CharField(label=_("Search memo or name"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Why reverse it"), max_length=500)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=_new_key)


class LimitsForm(forms.Form):
    credit_limit = forms.CharField(
        label=_("Credit limit (how far below zero)"), max_length=32, required=False
    )
    upper_limit = forms.CharField(
        label=_("Upper limit (empty: none)"), max_length=32, required=False
    )
    reason = forms.CharField(label=_("Why"), max_length=500)


class CurrencyForm(forms.ModelForm):
    reason = forms.CharField(label=_("Why (for the audit journal)"), max_length=500, required=False)

    class Meta:
        model = Currency
        fields = ["code", *CURRENCY_FIELDS, "credit_policy"]


class ListingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Offer or want"), choices=Listing.Kind.choices)
    item_type = forms.ChoiceField(label=_("Good or service"), choices=Listing.ItemType.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    category = forms.CharField(label=_("Category"), max_length=64)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    place = forms.CharField(label=_("Place"), max_length=120, required=False)
    price = forms.CharField(label=_("Price (optional)"), max_length=32, required=False)
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.filter(is_active=True), required=False
    )
    organisation = forms.ModelChoiceField(
        label=_("On behalf of (an organisation you run; empty: yourself)"),
        queryset=None,
        required=False,
    )

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None or not organisations.exists():
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations


class ListingSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("Offer or want"), required=False, choices=[("", _("both")), *Listing.Kind.choices]
    )
    category = forms.CharField(label=_("Category"), required=False)
    place = forms.CharField(label=_("Place"), required=False)


class RespondForm(forms.Form):
    amount = forms.CharField(label=_("Amount (empty: the price)"), max_length=32, required=False)
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.filter(is_active=True), required=False
    )
    memo = forms.CharField(label=_("Message"), max_length=200, required=False)
