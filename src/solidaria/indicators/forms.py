from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from solidaria.indicators.services import FIRST_YEAR


class ComputeForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"),
        min_value=FIRST_YEAR,
        help_text=_("The calendar year (UTC) the report covers; the current year so far."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["year"].initial = timezone.now().year
