"""Edits of confirmed organisations wait for review (PendingEdit), and a second web
address column (`other_websites`) for source cells that list several.

The column is added with plain ALTER TABLE ... ADD COLUMN: Django's SQLite schema editor
would rebuild the table for a field with a default, which drops the full-text and facet
triggers of migrations 0002-0004.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ADD_COLUMN = {
    "sqlite": "ALTER TABLE directory_organisation ADD COLUMN other_websites text NOT NULL "
    "DEFAULT '[]' CHECK (JSON_VALID(other_websites))",
    "postgresql": "ALTER TABLE directory_organisation ADD COLUMN other_websites jsonb NOT NULL "
    "DEFAULT '[]'::jsonb",
}


def add_column(apps, schema_editor):
    schema_editor.execute(ADD_COLUMN[schema_editor.connection.vendor])


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE directory_organisation DROP COLUMN other_websites")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0005_shipped_taxonomies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="organisation",
                    name="other_websites",
                    field=models.JSONField(
                        blank=True, default=list, verbose_name="other web addresses"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.CreateModel(
            name="PendingEdit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("values", models.JSONField(default=dict, verbose_name="proposed values")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "waiting for review"),
                            ("confirmed", "confirmed"),
                            ("rejected", "rejected"),
                            ("withdrawn", "withdrawn"),
                        ],
                        default="pending",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pending_edits",
                        to="directory.organisation",
                    ),
                ),
                (
                    "proposed_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "pending")),
                        fields=("organisation",),
                        name="directory_one_pending_edit",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status__in", ["pending", "confirmed", "rejected", "withdrawn"])
                        ),
                        name="directory_edit_status_valid",
                    ),
                ],
            },
        ),
    ]
