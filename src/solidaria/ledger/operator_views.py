"""Who acts for an organisation's account: the page where its operators (or a network
steward) give members rights on it and withdraw them (`ledger.operators`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from solidaria.accounts.models import User
from solidaria.core.errors import CORRECTABLE, ValidationFailed, show_on_form
from solidaria.core.permissions import allowed, member_required
from solidaria.ledger import operators
from solidaria.ledger.models import Account
from solidaria.ledger.rules import parse_amount


class RightForm(forms.Form):
    username = forms.CharField(label=_lazy("Member's user name"), max_length=150)
    can_view = forms.BooleanField(label=_lazy("May see the account"), required=False, initial=True)
    can_pay = forms.BooleanField(label=_lazy("May pay from it"), required=False)
    pay_limit = forms.CharField(
        label=_lazy("Largest payment they may make (empty: no cap)"),
        max_length=32,
        required=False,
    )
    can_request = forms.BooleanField(label=_lazy("May ask for payments into it"), required=False)
    reason = forms.CharField(label=_lazy("Reason (for the audit journal)"), max_length=500)


class RemoveForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_lazy("Reason"), max_length=500)


def _managed_account(user: object, account_id: int) -> Account:
    account = (
        Account.objects.select_related("currency", "organisation").filter(pk=account_id).first()
    )
    if (
        account is None
        or account.kind != Account.Kind.ORGANISATION
        or not allowed(user, "ledger.account.operators.set", account)
    ):
        raise Http404
    return account


@member_required
def account_operators(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _managed_account(request.user, account_id)
    form = RightForm(request.POST if "username" in request.POST else None, prefix=None)
    remove = RemoveForm(request.POST if "user" in request.POST else None)
    if request.method == "POST":
        try:
            if form.is_bound and form.is_valid():
                data = form.cleaned_data
                person = User.objects.filter(username=data["username"].strip()).first()
                if person is None:
                    raise ValidationFailed(
                        _("There is no member %(name)s.") % {"name": data["username"]},
                        field="username",
                    )
                cap = (
                    parse_amount(account.currency, data["pay_limit"], field="pay_limit")
                    if data["pay_limit"].strip()
                    else None
                )
                operators.account_operator_set(
                    actor=request.user,
                    account=account,
                    user=person,
                    can_view=data["can_view"],
                    can_pay=data["can_pay"],
                    pay_limit_minor=cap,
                    can_request=data["can_request"],
                    reason=data["reason"],
                )
                messages.success(
                    request, _("The rights of %(name)s were saved.") % {"name": person.username}
                )
                return redirect("ledger:account_operators", account_id=account.pk)
            if remove.is_bound and remove.is_valid():
                operators.account_operator_remove(
                    actor=request.user,
                    account=account,
                    user=remove.cleaned_data["user"],
                    reason=remove.cleaned_data["reason"],
                )
                messages.success(request, _("The rights were withdrawn."))
                return redirect("ledger:account_operators", account_id=account.pk)
        except CORRECTABLE as exc:
            show_on_form(form, exc)
    return render(
        request,
        "ledger/account_operators.html",
        {"account": account, "rights": operators.rights_on(account), "form": form},
    )
