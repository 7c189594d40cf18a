"""Forms only parse input; rules live in services.validate_fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from solidaria.directory.importers import FORMATS
from solidaria.directory.queries import choices

TEXT_FIELDS = [
    ("name", _("Name"), True),
    ("website", _("Website"), False),
    ("email", _("Email"), False),
    ("phone", _("Phone"), False),
    ("street_address", _("Street address"), False),
    ("locality", _("Locality"), False),
    ("region", _("Region"), False),
    ("postcode", _("Postcode"), False),
    ("country", _("Country (ISO code or name)"), False),
]
CONCEPT_FIELDS = [
    ("ica_activity", _("ICA activity"), "activities-ica"),
    ("activity", _("Activity"), "activities"),
    ("structure", _("Organisational structure"), "organisational-structure"),
    ("legal_form", _("Legal form"), "legal-form"),
    ("membership_type", _("Base membership type"), "base-membership-type"),
]


class OrganisationForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, required in TEXT_FIELDS:
            self.fields[name] = forms.CharField(label=label, required=required, max_length=300)
        self.fields["description"] = forms.CharField(
            label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
        )
        self.fields["latitude"] = forms.FloatField(
            label=_("Latitude"), required=False, min_value=-90, max_value=90
        )
        self.fields["longitude"] = forms.FloatField(
            label=_("Longitude"), required=False, min_value=-180, max_value=180
        )
        for name, label, scheme in CONCEPT_FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=label, required=False, choices=[("", "—"), *choices(scheme)]
            )
        self.fields["qualifiers"] = forms.MultipleChoiceField(
            label=_("Qualifiers"), required=False, choices=choices("qualifiers")
        )
        self.fields["themes"] = forms.MultipleChoiceField(
            label=_("Themes"), required=False, choices=choices("themes")
        )


class ImportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=[(f, f) for f in sorted(FORMATS)])
    file = forms.FileField(label=_("File"), allow_empty_file=True)  # the importer says why
    skip_bad_rows = forms.BooleanField(
        label=_("Skip bad rows"),
        required=False,
        help_text=_(
            "Import the good rows and list the bad ones. Without it, one bad row stops the "
            "import and nothing is imported."
        ),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("confirm", _("Confirm")), ("reject", _("Reject")), ("archive", _("Archive"))],
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class EditReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("confirm", _("Confirm")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Required when you reject: the proposer reads it."),
    )


class ClaimForm(forms.Form):
    reason = forms.CharField(
        label=_("How are you involved? (a steward reads this)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("confirm", _("Confirm")), ("decline", _("Decline"))]
    )
    reason = forms.CharField(label=_("Reason (needed to decline)"), max_length=2000, required=False)


class OperatorEndForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (needed when a steward removes someone)"),
        max_length=2000,
        required=False,
    )


class PublishForm(forms.Form):
    shows_coop_facts = forms.BooleanField(
        label=_("Show the co-op's members and capital (when the co-op is public)"),
        required=False,
    )
    shows_listings = forms.BooleanField(label=_("Show our offers and wants"), required=False)
