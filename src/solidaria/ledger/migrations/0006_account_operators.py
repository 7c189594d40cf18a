"""Organisation accounts are operated through per-person rights (`AccountOperator`).

Whoever asked for an existing organisation account (its `owner`) gets every right on it,
so nothing changes for them. `ledger_pay` (the PostgreSQL fast path) is replaced by the
same function with one more test: a payment from an organisation account always takes
the Python path, which checks the operator's right and cap (`rules.may_debit`).
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FAST_TEST = "AND (p_actor IS NULL OR payer.owner_id = p_actor"
SLOW_FOR_ORGANISATIONS = "AND payer.kind <> 'organisation'\n        " + FAST_TEST


def _pay_function(organisation_slow):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        sql = importlib.import_module(
            "solidaria.ledger.migrations.0004_full_hash_checkpoints"
        ).FORWARD
        assert sql.count(FAST_TEST) == 1
        if organisation_slow:
            sql = sql.replace(FAST_TEST, SLOW_FOR_ORGANISATIONS)
        schema_editor.execute(sql, None)

    return run


def grant_requesters(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    AccountOperator = apps.get_model("ledger", "AccountOperator")
    for account in Account.objects.filter(kind="organisation").iterator():
        AccountOperator.objects.get_or_create(
            account=account,
            user_id=account.owner_id,
            defaults={
                "can_view": True,
                "can_pay": True,
                "can_request": True,
                "granted_at": account.created_at,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0007_operators"),
        ("ledger", "0005_credit_issuance"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="listings",
                to="directory.organisation",
                verbose_name="on behalf of",
            ),
        ),
        migrations.CreateModel(
            name="AccountOperator",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("can_view", models.BooleanField(default=True, verbose_name="may see the account")),
                ("can_pay", models.BooleanField(default=False, verbose_name="may pay from it")),
                (
                    "pay_limit_minor",
                    models.BigIntegerField(
                        blank=True,
                        help_text="in minor units; empty: no cap",
                        null=True,
                        verbose_name="largest payment",
                    ),
                ),
                (
                    "can_request",
                    models.BooleanField(default=False, verbose_name="may ask for payments into it"),
                ),
                ("granted_at", models.DateTimeField()),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="operators",
                        to="ledger.account",
                    ),
                ),
                (
                    "granted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="account_rights",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["account", "user__username"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account", "user"), name="ledger_account_operator"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("pay_limit_minor__isnull", True),
                            ("pay_limit_minor__gt", 0),
                            _connector="OR",
                        ),
                        name="ledger_account_operator_limit_gt_0",
                    ),
                ],
            },
        ),
        migrations.RunPython(grant_requesters, migrations.RunPython.noop),
        migrations.RunPython(_pay_function(True), _pay_function(False)),
    ]
