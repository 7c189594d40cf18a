from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from solidaria.accounts.models import GENDER_OTHER_LENGTH, Gender, User


class SignUpForm(UserCreationForm):
    email = forms.EmailField(label=_("Email"), required=True, max_length=254)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)


class InvitationForm(forms.Form):
    note = forms.CharField(
        label=_("For whom (a note only you and stewards see)"), max_length=200, required=False
    )


class LeaveForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, I want to leave the network"), required=False)
    reason = forms.CharField(
        label=_("Why are you leaving? (optional)"), max_length=500, required=False
    )


class AdmissionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("admit", _("Admit")), ("decline", _("Decline")), ("suspend", _("Suspend"))],
    )
    reason = forms.CharField(
        label=_("Reason (the person reads it; needed to decline or suspend)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class QuotaForm(forms.Form):
    quota = forms.IntegerField(label=_("Invitations allowed"), min_value=0, max_value=1000)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("If you change it, we send a link to confirm the new address."),
    )
    languages = forms.CharField(
        label=_("Languages you speak"),
        max_length=400,
        required=False,
        help_text=_("Separate them with commas, e.g. English, Español."),
    )
    bio = forms.CharField(
        label=_("About you"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    skills = forms.CharField(
        label=_("Skills you offer in the time bank"),
        max_length=1000,
        required=False,
        help_text=_("Separate them with commas, e.g. bike repair, Spanish lessons."),
    )
    gender = forms.ChoiceField(
        label=_("Gender (optional)"),
        choices=Gender.choices,
        required=False,
        help_text=_(
            "Used only for anonymous counts in the network's yearly indicators (how many "
            "women, men and others are members and stewards), where a group of fewer than "
            "5 people is never shown. Nobody else sees your answer, and it is never exported "
            "with your name."
        ),
    )
    gender_other = forms.CharField(
        label=_("If another identity, in your words (optional)"),
        max_length=GENDER_OTHER_LENGTH,
        required=False,
        help_text=_("Only you see this; the counts group it under another identity."),
    )


class RoleForm(forms.Form):
    """Grant or withdraw one role (a network steward's form on a person's page)."""

    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            ("network", _("network steward")),
            ("auditor", _("external auditor (signs off assessments)")),
            ("currency", _("steward of a currency")),
            ("process", _("manager of a budgeting process")),
        ],
    )
    scope = forms.ChoiceField(
        label=_("Which currency or process (not for network steward or external auditor)"),
        required=False,
        choices=[],
    )
    action = forms.ChoiceField(
        label=_("Grant or withdraw"),
        choices=[("grant", _("Grant")), ("revoke", _("Withdraw"))],
    )
    reason = forms.CharField(label=_("Reason (for the audit journal)"), max_length=500)

    def __init__(self, *args: Any, currencies: Any = (), processes: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [
            ("", "—"),
            *[(f"currency:{c.pk}", f"{c.code} · {c.name}") for c in currencies],
            *[(f"process:{p.pk}", p.title) for p in processes],
        ]
