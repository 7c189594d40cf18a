"""SQLite: a small integer key per combination of facet values, so that a text or bbox
search counts its facets by grouping one integer per match instead of four strings.

Measured at 100k organisations: the grouped facet count of a one-word text search
(about 6,000 matches) takes 3.8 ms grouped by the key (narrow index below) against
6.6 ms by the four columns. `directory_facet_key` is a dictionary of the combinations (rows are never
deleted, so keys are stable); triggers keep `directory_organisation.facet_key` in step,
and bulk inserts (bulk.py, with the text index deferred) fill it with one UPDATE.

Raw SQL, like 0002 and 0003: none of it is model state. A later migration that makes
SQLite rebuild the organisation table must re-create the column and the triggers (the
search tests fail loudly if it does not).
"""

from django.db import migrations

ORG = "directory_organisation"
KEYS = "directory_facet_key"
SYNC = "directory_search_sync"
FACET_COLUMNS = "country, ica_activity, activity, structure"


def fill_keys(where: str) -> list[str]:
    """Statements that add the missing combinations of the rows matching `where` to the
    key table and set those rows' keys (also used by bulk inserts)."""
    return [
        f"INSERT OR IGNORE INTO {KEYS} ({FACET_COLUMNS}) "
        f"SELECT DISTINCT {FACET_COLUMNS} FROM {ORG} WHERE {where}",
        f"UPDATE {ORG} SET facet_key = (SELECT k.key FROM {KEYS} k "
        f"WHERE k.country = {ORG}.country AND k.ica_activity = {ORG}.ica_activity "
        f"AND k.activity = {ORG}.activity AND k.structure = {ORG}.structure) WHERE {where}",
    ]


def _row_trigger_body() -> str:
    return f"""
        INSERT OR IGNORE INTO {KEYS} ({FACET_COLUMNS})
        VALUES (new.country, new.ica_activity, new.activity, new.structure);
        UPDATE {ORG} SET facet_key = (SELECT key FROM {KEYS} WHERE country = new.country
            AND ica_activity = new.ica_activity AND activity = new.activity
            AND structure = new.structure)
        WHERE id = new.id;"""


SQLITE_FORWARD = [
    f"""CREATE TABLE {KEYS} (key integer PRIMARY KEY,
        country varchar(2) NOT NULL, ica_activity varchar(16) NOT NULL,
        activity varchar(16) NOT NULL, structure varchar(16) NOT NULL,
        UNIQUE ({FACET_COLUMNS}))""",
    f"ALTER TABLE {ORG} ADD COLUMN facet_key integer",
    *fill_keys("1 = 1"),
    f"""CREATE TRIGGER directory_org_facet_key_ai AFTER INSERT ON {ORG}
        WHEN (SELECT deferred FROM {SYNC}) = 0 BEGIN {_row_trigger_body()}
    END""",
    f"""CREATE TRIGGER directory_org_facet_key_au AFTER UPDATE OF {FACET_COLUMNS} ON {ORG}
        WHEN old.country IS NOT new.country OR old.ica_activity IS NOT new.ica_activity
            OR old.activity IS NOT new.activity OR old.structure IS NOT new.structure
        BEGIN {_row_trigger_body()}
    END""",
    # Join targets of text matches: the key alone (text only; a narrow index reads fewer
    # pages: 3.8 against 4.2 ms at 100k), and with coordinates and facet values.
    f"CREATE INDEX dir_org_search_keys ON {ORG} (id, status, facet_key)",
    "DROP INDEX IF EXISTS dir_org_search_facts",
    f"CREATE INDEX dir_org_search_facts ON {ORG} (id, status, latitude, longitude, "
    f"{FACET_COLUMNS}, facet_key)",
    f"ANALYZE {ORG}",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS directory_org_facet_key_au",
    "DROP TRIGGER IF EXISTS directory_org_facet_key_ai",
    "DROP INDEX IF EXISTS dir_org_search_facts",
    "DROP INDEX IF EXISTS dir_org_search_keys",
    f"ALTER TABLE {ORG} DROP COLUMN facet_key",
    f"DROP TABLE IF EXISTS {KEYS}",
    f"CREATE INDEX dir_org_search_facts ON {ORG} (id, status, latitude, longitude, "
    f"{FACET_COLUMNS})",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_search_performance")]

    operations = [migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD))]
