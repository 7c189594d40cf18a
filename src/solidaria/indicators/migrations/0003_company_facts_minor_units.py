"""Company facts move from the calculator's names with amounts as decimal text in currency
units ({"turnover": "200000", "hasCanteen": true, "mainOriginOfOtherSuppliers": "ESP"})
to `company_facts`' format: amounts as integers in minor units, lists of supply, staff and
sectors. Versions (append-only) keep the facts as they were written."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import migrations

MONEY = {
    "totalPurchaseFromSuppliers": "total_purchase_from_suppliers",
    "totalStaffCosts": "total_staff_costs",
    "profit": "profit",
    "financialCosts": "financial_costs",
    "incomeFromFinancialInvestments": "income_from_financial_investments",
    "additionsToFixedAssets": "additions_to_fixed_assets",
    "turnover": "turnover",
    "totalAssets": "total_assets",
    "financialAssetsAndCashBalance": "financial_assets_and_cash_balance",
}
DECIMALS = {
    "numberOfEmployees": "number_of_employees",
    "averageJourneyToWorkForStaffInKm": "average_journey_to_work_km",
}


def _convert(old: dict[str, Any]) -> dict[str, Any]:
    new: dict[str, Any] = {}
    for key, name in MONEY.items():
        try:
            new[name] = int((Decimal(str(old.get(key) or "0")) * 100).to_integral_value())
        except InvalidOperation:
            new[name] = 0
    for key, name in DECIMALS.items():
        new[name] = str(old.get(key) or "0")
    # the old form stored an unticked box as false: kept, so that the weights stay the same
    new["has_canteen"] = bool(old["hasCanteen"]) if "hasCanteen" in old else None
    new["is_b2b"] = bool(old.get("isB2B"))
    new["other_suppliers_country"] = old.get("mainOriginOfOtherSuppliers") or "AWO"
    new["supply"], new["staff"], new["sectors"] = [], [], []
    return new


def forwards(apps: Any, schema_editor: Any) -> None:
    Assessment = apps.get_model("indicators", "Assessment")
    for found in Assessment.objects.exclude(facts={}).only("pk", "facts"):
        if any(k in found.facts for k in (*MONEY, *DECIMALS, "hasCanteen", "isB2B")):
            found.facts = _convert(found.facts)
            found.save(update_fields=["facts"])


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_assessments")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
