"""The confirmed organisations in name order with their filter values (PostgreSQL): a
text search with more than COUNT_CAP matches comes in name order, and its page either
sorts every match or walks the names testing each (search.py picks the cheaper).

The text (`search_tsv`) is not in this index: a B-tree entry holds at most 2,704 bytes,
and the text of a description of 1,700 characters is more (one in the SUSY file),
so such an organisation could not be confirmed or saved; the walk reads the row to test
the text.

The text index of confirmed organisations (migration 0003) goes: the text and facets
index (0013) holds the same entries and serves the same searches."""

from django.db import migrations

ORG = "directory_organisation"
COLUMNS = "source_network, country, ica_activity, activity, structure"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS dir_org_confirmed_name_text ON {ORG} (name, id) "
            f"INCLUDE ({COLUMNS}) WHERE status = 'confirmed'"
        )
        schema_editor.execute("DROP INDEX IF EXISTS dir_org_search_confirmed_gin")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS dir_org_search_confirmed_gin ON {ORG} "
            "USING GIN (search_tsv) WHERE status = 'confirmed'"
        )
        schema_editor.execute("DROP INDEX IF EXISTS dir_org_confirmed_name_text")


class Migration(migrations.Migration):
    dependencies = [("directory", "0013_text_and_facets_index")]

    operations = [migrations.RunPython(forward, backward)]
