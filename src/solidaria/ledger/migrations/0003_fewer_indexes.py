"""Fewer indexes on the rows every payment writes (see the comment on Transfer), and
room on each account's page for its new version (PostgreSQL: fillfactor 80), so that a
payment's balance update is a HOT update that touches no index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _fillfactor(percent):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE ledger_account SET (fillfactor = {percent})")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_pay_function"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_fillfactor(80), _fillfactor(100)),
        migrations.RemoveIndex(model_name="entry", name="ledger_entr_account_b86ea8_idx"),
        migrations.AlterField(
            model_name="entry",
            name="transfer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="ledger.transfer",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="payee",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transfers_in",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="payer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transfers_out",
                to="ledger.account",
            ),
        ),
        migrations.RemoveIndex(
            model_name="transfer",
            name="ledger_tran_status_ae1a04_idx",
        ),
        migrations.AlterField(
            model_name="entry",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transfers",
                to="ledger.transferbatch",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="currency",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.currency",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="levies",
                to="ledger.transfer",
            ),
        ),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["created_at"],
                name="ledger_transfer_pending",
            ),
        ),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                condition=models.Q(("parent__isnull", False)),
                fields=["parent"],
                name="ledger_transfer_levies",
            ),
        ),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                condition=models.Q(("batch__isnull", False)),
                fields=["batch"],
                name="ledger_transfer_batch",
            ),
        ),
    ]
