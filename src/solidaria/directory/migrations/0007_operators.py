"""Operators of directory organisations, and what an organisation's page publishes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PUBLISHING = ("shows_coop_facts", "shows_listings")


def add_columns(apps, schema_editor):
    Organisation = apps.get_model("directory", "Organisation")
    table = schema_editor.quote_name(Organisation._meta.db_table)
    for name in PUBLISHING:
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(
                f"ALTER TABLE {table} ADD COLUMN {schema_editor.quote_name(name)} "
                "bool NOT NULL DEFAULT 1"
            )
        else:
            field = models.BooleanField(default=True)
            field.set_attributes_from_name(name)
            schema_editor.add_field(Organisation, field)


def drop_columns(apps, schema_editor):
    Organisation = apps.get_model("directory", "Organisation")
    table = schema_editor.quote_name(Organisation._meta.db_table)
    for name in PUBLISHING:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0006_pending_edits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # SQLite would rebuild the organisation table for a NOT NULL column with a default,
        # dropping the search columns and triggers of 0002-0004 (raw SQL, not model
        # state): there the columns are added in place instead.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="organisation",
                    name="shows_coop_facts",
                    field=models.BooleanField(
                        default=True, verbose_name="show the co-op's members and capital"
                    ),
                ),
                migrations.AddField(
                    model_name="organisation",
                    name="shows_listings",
                    field=models.BooleanField(
                        default=True, verbose_name="show the offers and wants"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
        ),
        migrations.CreateModel(
            name="Operator",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("claimed", "waiting for a steward"),
                            ("confirmed", "confirmed"),
                            ("declined", "declined"),
                            ("ended", "ended"),
                        ],
                        default="claimed",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("reason", models.TextField(verbose_name="how you are involved")),
                ("claimed_at", models.DateTimeField()),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decision_reason", models.TextField(blank=True)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                ("end_reason", models.TextField(blank=True)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "ended_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="operators",
                        to="directory.organisation",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="operator_claims",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["organisation", "claimed_at", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status__in", ["claimed", "confirmed"])),
                        fields=("organisation", "user"),
                        name="directory_one_open_operator_claim",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status__in", ["claimed", "confirmed", "declined", "ended"])
                        ),
                        name="directory_operator_status_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "ended"), _negated=True),
                            ("ended_at__isnull", False),
                            _connector="OR",
                        ),
                        name="directory_operator_ended_has_end",
                    ),
                ],
            },
        ),
    ]
