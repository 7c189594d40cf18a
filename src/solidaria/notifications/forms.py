from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from solidaria.notifications import kinds
from solidaria.notifications.models import Delivery


class PreferencesForm(forms.Form):
    """One choice per kind of notification, grouped by app, and the emails' language."""

    language = forms.ChoiceField(label=_("Language of your emails"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, kind in kinds.KINDS.items():
            self.fields[code] = forms.ChoiceField(
                label=kind.title, choices=Delivery.choices, widget=forms.RadioSelect
            )

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        grouped: dict[str, list[forms.BoundField]] = {}
        for code, kind in kinds.KINDS.items():
            grouped.setdefault(kind.app, []).append(self[code])
        return [(str(kinds.APPS.get(app, app)), fields) for app, fields in grouped.items()]

    def deliveries(self) -> dict[str, str]:
        return {code: self.cleaned_data[code] for code in kinds.KINDS}
