"""Forms of the discussion pages: they only parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from solidaria.discussion.services import MAX_LENGTH


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Write @ and a user name to tell someone, for example @ana."),
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"), max_length=MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 6})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("hide", _("Hide the comment")), ("dismiss", _("Keep it: dismiss the report"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (shown as the reason when the comment is hidden)"),
        required=False,
        max_length=1000,
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )


class PaymentRequestForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=32,
        help_text=_("Leave it empty to use the price of the offer or want."),
    )
    currency = forms.CharField(
        label=_("Currency code"),
        required=False,
        max_length=16,
        help_text=_("Leave it empty to use the currency of the offer or want."),
    )
    memo = forms.CharField(label=_("What it is for"), required=False, max_length=200)
