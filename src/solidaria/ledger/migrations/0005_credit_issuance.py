"""Only stewards issue credit (issue 10 §2): a credit policy per currency, currency
stewards, organisation accounts tied to the directory and opened through requests.

Existing currencies get the policy `admitted_members_get_default`, effective since they
were created: that is what they did until now (every new member account got the default
credit line and the starting grant), so admitted members keep today's behaviour, and
the demo with them. New currencies default to `steward_decides`. Applicants, who could
open accounts before, no longer can: that is the services' check, not data.

Existing organisation accounts (free-text names, no organisation) stay as they are; the
new check only requires that an account linked to an organisation is an organisation
account, and one per organisation and currency.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def existing_currencies_keep_their_behaviour(apps, schema_editor):
    Currency = apps.get_model("ledger", "Currency")
    for currency in Currency.objects.all():
        currency.credit_policy = "admitted_members_get_default"
        currency.credit_policy_since = currency.created_at
        currency.save(update_fields=["credit_policy", "credit_policy_since"])


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0006_pending_edits'),
        ('ledger', '0004_full_hash_checkpoints'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccountRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField()),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='why this account is needed')),
                ('status', models.CharField(choices=[('requested', 'requested'), ('approved', 'approved'), ('declined', 'declined')], default='requested', max_length=16)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decision_reason', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='CurrencySteward',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('granted_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['currency__code', 'user__username'],
            },
        ),
        migrations.AddField(
            model_name='account',
            name='organisation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_accounts', to='directory.organisation'),
        ),
        migrations.AddField(
            model_name='currency',
            name='credit_policy',
            field=models.CharField(choices=[('steward_decides', 'A currency steward decides every credit line.'), ('admitted_members_get_default', 'Admitted members get the default credit line and the starting grant.')], default='steward_decides', max_length=32, verbose_name='credit policy'),
        ),
        migrations.AddField(
            model_name='currency',
            name='credit_policy_since',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='currency',
            name='credit_policy_version',
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'organisation'), ('organisation__isnull', True), _connector='OR'), name='ledger_account_organisation_only_for_organisations'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'organisation')), fields=('currency', 'organisation'), name='ledger_one_organisation_account_per_currency'),
        ),
        migrations.AddField(
            model_name='accountrequest',
            name='account',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='request', to='ledger.account'),
        ),
        migrations.AddField(
            model_name='accountrequest',
            name='currency',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='account_requests', to='ledger.currency'),
        ),
        migrations.AddField(
            model_name='accountrequest',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='accountrequest',
            name='organisation',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ledger_account_requests', to='directory.organisation'),
        ),
        migrations.AddField(
            model_name='accountrequest',
            name='requested_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='currencysteward',
            name='currency',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='steward_roles', to='ledger.currency'),
        ),
        migrations.AddField(
            model_name='currencysteward',
            name='granted_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='currencysteward',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='currency_stewardships', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='currency',
            name='stewards',
            field=models.ManyToManyField(blank=True, related_name='stewarded_currencies', through='ledger.CurrencySteward', through_fields=('currency', 'user'), to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='accountrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'requested')), fields=('currency', 'organisation'), name='ledger_one_open_account_request'),
        ),
        migrations.AddConstraint(
            model_name='accountrequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('account__isnull', False), ('status', 'approved')), models.Q(models.Q(('status', 'approved'), _negated=True), ('account__isnull', True)), _connector='OR'), name='ledger_account_request_account_iff_approved'),
        ),
        migrations.AddConstraint(
            model_name='currencysteward',
            constraint=models.UniqueConstraint(fields=('currency', 'user'), name='ledger_currency_steward_unique'),
        ),
        migrations.RunPython(existing_currencies_keep_their_behaviour, migrations.RunPython.noop),
    ]
