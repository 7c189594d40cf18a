"""Tamper evidence: every entry's hash covers every field of its transfer (hash version 2),
and checkpoints of the whole journal made with a key the database does not hold.

Existing entries keep the hashes they were written with: `hash_version` is 1 for them
(their hash covers the entry's own numbers, as before) and 2 for every entry written from
now on; `solidaria ledger verify` checks each by its version and refuses a version 1
entry after a version 2 one in the same account. Nothing is recomputed, so what the
journal proved before this migration it still proves, and a rewrite is still a rewrite.

`ledger_pay` is replaced (same arguments) by one that builds the version 2 canonical
form in SQL exactly as `transfer_canonical` and `entry_canonical` in models.py do: the
text fields carry their length in characters first (PostgreSQL's `length` on a UTF-8
database and Python's `len` both count code points).
"""

import importlib

from django.db import migrations, models

LEVY_KINDS = "('payment', 'request', 'bulk', 'import')"

FORWARD = f"""
CREATE OR REPLACE FUNCTION ledger_pay(
    p_payer bigint, p_payee bigint, p_amount bigint, p_memo text, p_category text,
    p_kind text, p_actor bigint, p_actor_is_steward boolean, p_now timestamptz,
    p_now_iso text, p_scope text, p_key text, p_request_hash text
) RETURNS TABLE (outcome text, transfer_id bigint, currency_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    r ledger_account%ROWTYPE;
    payer ledger_account%ROWTYPE;
    payee ledger_account%ROWTYPE;
    cur ledger_currency%ROWTYPE;
    t_id bigint;
    payer_after bigint;
    payee_after bigint;
    payer_hash text;
    payee_hash text;
    t_canon text;
BEGIN
    -- The ledger's one lock order: member and organisation accounts by id, then system.
    FOR r IN SELECT * FROM ledger_account WHERE id IN (p_payer, p_payee)
             ORDER BY (kind = 'system'), id FOR UPDATE LOOP
        IF r.id = p_payer THEN payer := r; ELSE payee := r; END IF;
    END LOOP;
    -- Every test below is written so that a NULL (a missing row, an account without an
    -- owner) makes it fail, and a failed test sends the payment to the Python path.
    IF (payer.id IS NOT NULL AND payee.id IS NOT NULL
        AND payer.currency_id = payee.currency_id
        AND payer.is_active AND payee.is_active) IS NOT TRUE THEN
        RETURN QUERY SELECT 'slow'::text, NULL::bigint, NULL::bigint; RETURN;
    END IF;
    SELECT * INTO cur FROM ledger_currency WHERE id = payer.currency_id;
    payer_after := payer.balance - p_amount;
    payee_after := payee.balance + p_amount;
    IF (cur.is_active
        -- who may debit: the network itself, the owner, a steward for a system account
        AND (p_actor IS NULL OR payer.owner_id = p_actor
             OR (payer.kind = 'system' AND p_actor_is_steward))
        -- no levy, no authorisation
        AND NOT (p_kind IN {LEVY_KINDS} AND payer.kind <> 'system'
                 AND p_amount * cur.levy_basis_points / 10000 > 0)
        AND NOT (cur.authorisation_threshold IS NOT NULL
                 AND p_amount > cur.authorisation_threshold AND p_kind IN {LEVY_KINDS}
                 AND p_actor IS NOT NULL AND NOT p_actor_is_steward)
        -- within the hard limits (the CHECK constraints would refuse) and the soft ones
        -- (a warning)
        AND (payer.credit_limit IS NULL OR payer_after - payer.reserved >= -payer.credit_limit)
        AND (payee.upper_limit IS NULL OR payee_after <= payee.upper_limit)
        AND (cur.soft_credit_limit IS NULL OR payer_after >= -cur.soft_credit_limit)
        AND (cur.soft_upper_limit IS NULL OR payee_after <= cur.soft_upper_limit)
       ) IS NOT TRUE THEN
        RETURN QUERY SELECT 'slow'::text, NULL::bigint, NULL::bigint; RETURN;
    END IF;

    t_id := nextval(pg_get_serial_sequence('ledger_transfer', 'id'));
    INSERT INTO core_idempotencyrecord
        (scope, key, actor_id, request_hash, result_type, result_id, created_at)
    VALUES (p_scope, p_key, p_actor, p_request_hash, 'ledger.transfer', t_id::text, p_now)
    ON CONFLICT (scope, key) DO NOTHING;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'replay'::text, NULL::bigint, NULL::bigint; RETURN;
    END IF;

    INSERT INTO ledger_transfer
        (id, currency_id, payer_id, payee_id, amount_minor, memo, category, kind, status,
         reserved_minor, created_by_id, created_at, completed_at, decision_reason)
    VALUES (t_id, cur.id, p_payer, p_payee, p_amount, p_memo, p_category, p_kind,
            'completed', 0, p_actor, p_now, p_now, '');
    -- transfer_canonical: currency, payer, payee, amount, memo, category, kind, status,
    -- reserved, reverses, parent, batch, created by, created at, completed at, decided
    -- by, decision reason.
    t_canon := cur.id || '|' || p_payer || '|' || p_payee || '|' || p_amount
        || '|' || length(p_memo) || ':' || p_memo
        || '|' || length(p_category) || ':' || p_category
        || '|' || length(p_kind) || ':' || p_kind
        || '|9:completed|0||||' || coalesce(p_actor::text, '')
        || '|' || p_now_iso || '|' || p_now_iso || '||0:';
    payer_hash := encode(sha256(convert_to(payer.head_hash || 'v2|' || p_payer || '|'
        || (payer.entry_count + 1) || '|' || t_id || '|' || (-p_amount) || '|'
        || payer_after || '|' || p_now_iso || '|' || t_canon, 'UTF8')), 'hex');
    payee_hash := encode(sha256(convert_to(payee.head_hash || 'v2|' || p_payee || '|'
        || (payee.entry_count + 1) || '|' || t_id || '|' || p_amount || '|'
        || payee_after || '|' || p_now_iso || '|' || t_canon, 'UTF8')), 'hex');
    INSERT INTO ledger_entry
        (account_id, transfer_id, seq, amount, balance_after, created_at, prev_hash, hash,
         hash_version)
    VALUES
        (p_payer, t_id, payer.entry_count + 1, -p_amount, payer_after, p_now,
         payer.head_hash, payer_hash, 2),
        (p_payee, t_id, payee.entry_count + 1, p_amount, payee_after, p_now,
         payee.head_hash, payee_hash, 2);
    UPDATE ledger_account SET balance = payer_after, head_hash = payer_hash,
        entry_count = payer.entry_count + 1 WHERE id = p_payer;
    UPDATE ledger_account SET balance = payee_after, head_hash = payee_hash,
        entry_count = payee.entry_count + 1 WHERE id = p_payee;
    INSERT INTO core_auditevent (at, actor_id, verb, object_type, object_id, reason, data)
    VALUES (p_now, p_actor, 'ledger.transfer', 'ledger.transfer', t_id::text, '',
            jsonb_build_object('amount', p_amount, 'payer', p_payer, 'payee', p_payee));
    RETURN QUERY SELECT 'ok'::text, t_id, cur.id;
END $$
"""


def _function(version):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        if version == 2:
            sql = FORWARD
        else:  # back to the version 1 function of migration 0002
            sql = importlib.import_module("solidaria.ledger.migrations.0002_pay_function").FORWARD
        schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_fewer_indexes")]

    operations = [
        # the rows already written keep version 1; new ones are version 2
        migrations.AddField(
            model_name="entry",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name="entry",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=2),
        ),
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "last_entry_id",
                    models.BigIntegerField(
                        help_text="the highest entry id the digest covers",
                        unique=True,
                        verbose_name="last entry",
                    ),
                ),
                ("entry_count", models.BigIntegerField(verbose_name="entries")),
                ("head_hash", models.CharField(max_length=64, verbose_name="journal digest")),
                ("created_at", models.DateTimeField(verbose_name="time")),
                ("key_id", models.CharField(max_length=16, verbose_name="key id")),
                ("mac", models.CharField(max_length=64, verbose_name="MAC")),
            ],
            options={
                "ordering": ["last_entry_id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("entry_count__gte", 0), ("last_entry_id__gte", 0)),
                        name="ledger_checkpoint_position_gte_0",
                    )
                ],
            },
        ),
        migrations.RunPython(_function(2), _function(1)),
    ]
