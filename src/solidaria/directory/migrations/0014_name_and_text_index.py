"""The confirmed organisations in name order with their text and filter values
(PostgreSQL): a text search with more than COUNT_CAP matches comes in name order, and
its page either sorts every match (a row read each, about 3 us) or walks the names
testing each; with the text in the index the walk reads no rows (an index-only scan,
about 0.5 us an entry). Walking for 1,066 matches among 1,000,000 went from 214 to 16 ms,
for 3,520 from 69 to 9 ms; words that begin names cluster in name order, so the walk
can be long, and the search still sorts when the matches are few (search.py).

The text index of confirmed organisations (migration 0003) goes: the text and facets
index (0013) holds the same entries and serves the same searches."""

from django.db import migrations

ORG = "directory_organisation"
COLUMNS = "search_tsv, source_network, country, ica_activity, activity, structure"


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
