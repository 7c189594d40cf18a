from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from solidaria.core.money import AmountError, format_minor, parse_minor
from solidaria.indicators.company_facts import (
    DECIMALS,
    EXPONENT,
    MAX_DESCRIPTION,
    MAX_PLACES,
    MAX_ROWS,
    MONEY,
    country_choices,
    industry_choices,
    list_title,
)
from solidaria.indicators.engine.ecg_facts import WORLD
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


# ---------------------------------------------------------------- ECG company facts
# The form of `company_facts` (one form for the numbers, one formset per list). Amounts
# are typed in currency units ("1250.50") and kept in minor units; the service checks
# the whole (shares at most 100 %, listed suppliers within the total purchases) and its
# sentence names the list, the row and the field.


class MoneyField(forms.CharField):
    """An amount typed in currency units, cleaned to an integer in minor units."""

    def __init__(self, *, negative: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.negative = negative
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value: Any) -> int:  # type: ignore[override]
        text = (super().clean(value) or "").strip().replace(" ", "")
        if not text:
            return 0
        try:
            return parse_minor(text, exponent=EXPONENT, allow_negative=self.negative)
        except AmountError:
            if text.startswith("-") and not self.negative:
                raise forms.ValidationError(_("An amount is not below 0.")) from None
            raise forms.ValidationError(
                _("Write an amount such as 1250 or 1250.50 (at most two decimals).")
            ) from None


class NumberField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", MAX_PLACES)
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"inputmode": "decimal"})


CANTEEN_CHOICES = [("", _("Not stated")), ("yes", _("Yes")), ("no", _("No"))]


class CompanyFactsForm(forms.Form):
    total_purchase_from_suppliers = MoneyField(label=_("Total purchases from suppliers"))
    total_staff_costs = MoneyField(label=_("Total staff costs"))
    profit = MoneyField(label=_("Profit (a loss is negative)"), negative=True)
    financial_costs = MoneyField(label=_("Financial costs"))
    income_from_financial_investments = MoneyField(label=_("Income from financial investments"))
    additions_to_fixed_assets = MoneyField(label=_("Additions to fixed assets"))
    turnover = MoneyField(label=_("Turnover"))
    total_assets = MoneyField(label=_("Total assets"))
    financial_assets_and_cash_balance = MoneyField(label=_("Financial assets and cash"))
    number_of_employees = NumberField(label=_("Number of employees (full-time equivalent)"))
    average_journey_to_work_km = NumberField(label=_("Average journey to work of the staff (km)"))
    has_canteen = forms.ChoiceField(
        label=_("Does the organisation have a canteen?"), choices=CANTEEN_CHOICES, required=False
    )
    is_b2b = forms.BooleanField(
        label=_("Most customers are other businesses (B2B)"), required=False
    )
    other_suppliers_country = forms.ChoiceField(
        label=_("Main country of the suppliers not listed below"),
        help_text=_("AWO is the rest of the world."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["other_suppliers_country"].choices = country_choices()

    def facts(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for key in DECIMALS:
            data[key] = "0" if data.get(key) is None else str(data[key])
        data["has_canteen"] = {"yes": True, "no": False}.get(data.get("has_canteen") or "")
        return data

    @staticmethod
    def initial_from(stored: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in MONEY:
            amount = int(stored.get(key, 0))
            out[key] = format_minor(amount, exponent=EXPONENT) if amount else ""
        for key in DECIMALS:
            value = stored.get(key, "0")
            out[key] = "" if value in ("0", "", None) else value
        canteen = stored.get("has_canteen")
        out["has_canteen"] = "" if canteen is None else "yes" if canteen else "no"
        out["is_b2b"] = bool(stored.get("is_b2b"))
        out["other_suppliers_country"] = stored.get("other_suppliers_country") or WORLD
        return out


class _RowForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "country" in self.fields:
            self.fields["country"].choices = [("", "—"), *country_choices()]  # type: ignore[attr-defined]
        if "industry" in self.fields:
            self.fields["industry"].choices = [("", "—"), *industry_choices()]  # type: ignore[attr-defined]

    def row(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "DELETE"}
        if "percent" in data:
            data["percent"] = str(data["percent"])
        return data


class SupplyRowForm(_RowForm):
    country = forms.ChoiceField(label=_("Country"))
    industry = forms.ChoiceField(label=_("Industry"))
    costs = MoneyField(label=_("Costs"), required=True)


class StaffRowForm(_RowForm):
    country = forms.ChoiceField(label=_("Country"))
    percent = NumberField(label=_("Share of the staff (%)"), required=True, max_value=100)


class SectorRowForm(_RowForm):
    industry = forms.ChoiceField(label=_("Industry"))
    percent = NumberField(label=_("Share of the sales (%)"), required=True, max_value=100)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=MAX_DESCRIPTION
    )


class RowFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def rows(self) -> list[dict[str, Any]]:
        """The rows kept: the ones shown before (unless removed) and the filled new ones."""
        return [
            f.row()
            for i, f in enumerate(self.forms)
            if f.cleaned_data
            and not self._should_delete_form(f)
            and (i < self.initial_form_count() or f.has_changed())
        ]


def _formset(form: type[forms.Form]) -> type[RowFormSet]:
    return forms.formset_factory(  # type: ignore[no-any-return]
        form,
        formset=RowFormSet,
        extra=1,
        can_delete=True,
        max_num=MAX_ROWS,
        absolute_max=MAX_ROWS,
        validate_max=True,
    )


SupplyFormSet = _formset(SupplyRowForm)
StaffFormSet = _formset(StaffRowForm)
SectorFormSet = _formset(SectorRowForm)
FORMSETS = {"supply": SupplyFormSet, "staff": StaffFormSet, "sectors": SectorFormSet}


class FactsForms:
    """The facts form and its three formsets, bound or not; `facts()` when all are valid."""

    def __init__(
        self, stored: dict[str, Any], data: Any = None, *, more: str = "", added: int = 3
    ) -> None:
        self.main = CompanyFactsForm(
            data, prefix="facts", initial=CompanyFactsForm.initial_from(stored)
        )
        self.lists: dict[str, RowFormSet] = {}
        for name, cls in FORMSETS.items():
            initial = [
                {**r, "costs": format_minor(r["costs"], exponent=EXPONENT)} if "costs" in r else r
                for r in stored.get(name, [])
            ]
            formset = cls(data, prefix=name, initial=initial)
            if data is None and name == more:
                formset.extra = added
            self.lists[name] = formset
        total = int(stored.get("total_purchase_from_suppliers", 0))
        for form, row in zip(self.lists["supply"].forms, stored.get("supply", []), strict=False):
            if total:  # what the row's costs are of the purchases, shown by the row
                hundredths = (row["costs"] * 20_000 + total) // (2 * total)  # rounded
                form.share_text = format_minor(hundredths, exponent=2)

    def is_valid(self) -> bool:
        valid = self.main.is_valid()
        for formset in self.lists.values():
            valid = formset.is_valid() and valid
        return valid

    def facts(self) -> dict[str, Any]:
        return {**self.main.facts(), **{n: f.rows() for n, f in self.lists.items()}}

    def errors(self) -> list[str]:
        """Every problem as a sentence naming the list, the row and the field."""
        out = [
            f"{self.main.fields[name].label}: {e}" if name != "__all__" else str(e)
            for name, errors in self.main.errors.items()
            for e in errors
        ]
        for list_name, formset in self.lists.items():
            out += [f"{list_title(list_name)}: {e}" for e in formset.non_form_errors()]
            for i, form in enumerate(formset.forms):
                for name, errors in form.errors.items():
                    label = form.fields[name].label if name in form.fields else ""
                    for e in errors:
                        out.append(
                            _("%(list)s, row %(row)s, %(field)s: %(problem)s")
                            % {
                                "list": list_title(list_name),
                                "row": i + 1,
                                "field": label,
                                "problem": e,
                            }
                        )
        return out
