"""Link accounts (credit between networks) take no ordinary payment: `ledger_pay` (the
PostgreSQL fast path) is replaced by the same function with one more test, so that a
payment from or to a `link` account always takes the Python path, which refuses it
(`rules.check_pair`). Only `solidaria.creditcommons` moves value on those accounts."""

import importlib

from django.db import migrations

FAST_TEST = "AND (p_actor IS NULL OR payer.owner_id = p_actor"
BEFORE = "AND payer.kind <> 'organisation'\n        " + FAST_TEST
AFTER = (
    "AND payer.kind NOT IN ('organisation', 'link') AND payee.kind <> 'link'\n        " + FAST_TEST
)


def _pay_function(links_slow):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        sql = importlib.import_module(
            "solidaria.ledger.migrations.0004_full_hash_checkpoints"
        ).FORWARD
        assert sql.count(FAST_TEST) == 1
        sql = sql.replace(FAST_TEST, AFTER if links_slow else BEFORE)
        schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_link_accounts")]

    operations = [migrations.RunPython(_pay_function(True), _pay_function(False))]
