"""PostgreSQL: the common payment as one server-side function, `ledger_pay`.

`services.transfer_create` calls it first on PostgreSQL (see `fastpay.py`): one statement,
so in autocommit one round trip and one transaction. It does exactly what the Python
posting does for an ordinary payment (lock both accounts in the ledger's lock order,
check, write the transfer, two chained journal entries, both account heads, the audit
event and the idempotency record), and it does it only when nothing needs a message or a
decision: anything else (an unknown or closed account, different currencies, a debit the
actor may not make, a levy, an authorisation, a hard or soft limit) returns `slow`
without writing, and the Python path handles the payment and explains. A reused key
returns `replay`, also without writing.

The entry hash is sha256(previous hash || canonical form) exactly as `entry_canonical`
and `entry_hash` in models.py compute it; the timestamp text comes from Python, so both
paths hash the same string, and `solidaria ledger verify` recomputes every hash in Python.
"""

from django.db import migrations

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
    payer_hash := encode(sha256(convert_to(payer.head_hash || 'v1|' || p_payer || '|'
        || (payer.entry_count + 1) || '|' || t_id || '|' || (-p_amount) || '|'
        || payer_after || '|' || p_now_iso, 'UTF8')), 'hex');
    payee_hash := encode(sha256(convert_to(payee.head_hash || 'v1|' || p_payee || '|'
        || (payee.entry_count + 1) || '|' || t_id || '|' || p_amount || '|'
        || payee_after || '|' || p_now_iso, 'UTF8')), 'hex');
    INSERT INTO ledger_entry
        (account_id, transfer_id, seq, amount, balance_after, created_at, prev_hash, hash)
    VALUES
        (p_payer, t_id, payer.entry_count + 1, -p_amount, payer_after, p_now,
         payer.head_hash, payer_hash),
        (p_payee, t_id, payee.entry_count + 1, p_amount, payee_after, p_now,
         payee.head_hash, payee_hash);
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
BACKWARD = (
    "DROP FUNCTION IF EXISTS ledger_pay(bigint, bigint, bigint, text, text, text, bigint, "
    "boolean, timestamptz, text, text, text, text)"
)


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("core", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
