"""Search performance: the full-text index holds confirmed organisations only (so a text
match counts without touching the table), ranks name matches first, and a facet count
table (kept by triggers) answers facet and total counts of filter-only searches without
scanning organisations. A covering index serves joins from the text index (SQLite).

Written as raw SQL per database, like 0002: none of it is model state.
"""

from django.db import migrations

FTS = "directory_organisation_fts"
ORG = "directory_organisation"
CUBE = "directory_facet_count"
SYNC = "directory_search_sync"
FACET_COLUMNS = "country, ica_activity, activity, structure"

INDEXES = [
    # Join target for text matches: status, coordinates and facet columns without the row.
    f"CREATE INDEX dir_org_search_facts ON {ORG} "
    "(id, status, latitude, longitude, country, ica_activity, activity, structure)",
]
DROP_INDEXES = ["DROP INDEX IF EXISTS dir_org_search_facts"]
CUBE_TABLE = [
    f"""CREATE TABLE {CUBE} (
        country varchar(2) NOT NULL, ica_activity varchar(16) NOT NULL,
        activity varchar(16) NOT NULL, structure varchar(16) NOT NULL,
        n integer NOT NULL, PRIMARY KEY ({FACET_COLUMNS}))""",
    f"INSERT INTO {CUBE} ({FACET_COLUMNS}, n) SELECT {FACET_COLUMNS}, COUNT(*) FROM {ORG} "
    f"WHERE status = 'confirmed' GROUP BY {FACET_COLUMNS}",
]

FTS_COLUMNS = "name, description, locality, tags"
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS directory_org_fts_au",
    "DROP TRIGGER IF EXISTS directory_org_fts_ad",
    "DROP TRIGGER IF EXISTS directory_org_fts_ai",
    f"INSERT INTO {FTS}({FTS}) VALUES ('delete-all')",
    f"INSERT INTO {FTS}(rowid, {FTS_COLUMNS}) SELECT id, {FTS_COLUMNS} FROM {ORG} "
    "WHERE status = 'confirmed'",
    # bm25 weights per column: name, description, locality, tags.
    f"INSERT INTO {FTS}({FTS}, rank) VALUES ('rank', 'bm25(10.0, 1.0, 2.0, 2.0)')",
    # Bulk inserts set `deferred` and index their rows with one INSERT ... SELECT
    # (bulk.py): ~10x cheaper than the trigger row by row.
    f"""CREATE TABLE {SYNC} (id integer PRIMARY KEY CHECK (id = 1),
        deferred integer NOT NULL DEFAULT 0)""",
    f"INSERT INTO {SYNC} (id, deferred) VALUES (1, 0)",
    f"""CREATE TRIGGER directory_org_fts_ai AFTER INSERT ON {ORG}
        WHEN new.status = 'confirmed' AND (SELECT deferred FROM {SYNC}) = 0 BEGIN
        INSERT INTO {FTS}(rowid, {FTS_COLUMNS})
        VALUES (new.id, new.name, new.description, new.locality, new.tags);
    END""",
    f"""CREATE TRIGGER directory_org_fts_ad AFTER DELETE ON {ORG}
        WHEN old.status = 'confirmed' BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, old.name, old.description, old.locality, old.tags);
    END""",
    # One trigger, in this order: SQLite runs several triggers in no order we can rely on.
    # Bulk updates set every column: only rows whose indexed values change are re-indexed.
    f"""CREATE TRIGGER directory_org_fts_au AFTER UPDATE OF
        status, name, description, locality, tags ON {ORG}
        WHEN old.status IS NOT new.status OR old.name IS NOT new.name
            OR old.description IS NOT new.description OR old.locality IS NOT new.locality
            OR old.tags IS NOT new.tags BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {FTS_COLUMNS})
        SELECT 'delete', old.id, old.name, old.description, old.locality, old.tags
        WHERE old.status = 'confirmed';
        INSERT INTO {FTS}(rowid, {FTS_COLUMNS})
        SELECT new.id, new.name, new.description, new.locality, new.tags
        WHERE new.status = 'confirmed';
    END""",
    *CUBE_TABLE,
    f"""CREATE TRIGGER directory_org_facets_ai AFTER INSERT ON {ORG}
        WHEN new.status = 'confirmed' BEGIN
        INSERT INTO {CUBE} ({FACET_COLUMNS}, n)
        VALUES (new.country, new.ica_activity, new.activity, new.structure, 1)
        ON CONFLICT ({FACET_COLUMNS}) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER directory_org_facets_ad AFTER DELETE ON {ORG}
        WHEN old.status = 'confirmed' BEGIN
        UPDATE {CUBE} SET n = n - 1 WHERE country = old.country
            AND ica_activity = old.ica_activity AND activity = old.activity
            AND structure = old.structure;
    END""",
    f"""CREATE TRIGGER directory_org_facets_au AFTER UPDATE OF
        status, {FACET_COLUMNS} ON {ORG}
        WHEN old.status IS NOT new.status OR old.country IS NOT new.country
            OR old.ica_activity IS NOT new.ica_activity OR old.activity IS NOT new.activity
            OR old.structure IS NOT new.structure BEGIN
        UPDATE {CUBE} SET n = n - 1 WHERE old.status = 'confirmed'
            AND country = old.country AND ica_activity = old.ica_activity
            AND activity = old.activity AND structure = old.structure;
        INSERT INTO {CUBE} ({FACET_COLUMNS}, n)
        SELECT new.country, new.ica_activity, new.activity, new.structure, 1
        WHERE new.status = 'confirmed'
        ON CONFLICT ({FACET_COLUMNS}) DO UPDATE SET n = n + 1;
    END""",
    *INDEXES,
    f"ANALYZE {ORG}",
]
SQLITE_BACKWARD = [
    *DROP_INDEXES,
    "DROP TRIGGER IF EXISTS directory_org_facets_au",
    "DROP TRIGGER IF EXISTS directory_org_facets_ad",
    "DROP TRIGGER IF EXISTS directory_org_facets_ai",
    f"DROP TABLE IF EXISTS {CUBE}",
    "DROP TRIGGER IF EXISTS directory_org_fts_au",
    "DROP TRIGGER IF EXISTS directory_org_fts_ad",
    "DROP TRIGGER IF EXISTS directory_org_fts_ai",
    f"DROP TABLE IF EXISTS {SYNC}",
    f"INSERT INTO {FTS}({FTS}, rank) VALUES ('rank', 'bm25()')",
    f"""CREATE TRIGGER directory_org_fts_ai AFTER INSERT ON {ORG} BEGIN
        INSERT INTO {FTS}(rowid, {FTS_COLUMNS})
        VALUES (new.id, new.name, new.description, new.locality, new.tags);
    END""",
    f"""CREATE TRIGGER directory_org_fts_ad AFTER DELETE ON {ORG} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, old.name, old.description, old.locality, old.tags);
    END""",
    f"""CREATE TRIGGER directory_org_fts_au AFTER UPDATE OF name, description, locality, tags
        ON {ORG} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, old.name, old.description, old.locality, old.tags);
        INSERT INTO {FTS}(rowid, {FTS_COLUMNS})
        VALUES (new.id, new.name, new.description, new.locality, new.tags);
    END""",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]

POSTGRES_FORWARD = [
    *CUBE_TABLE,
    f"""CREATE FUNCTION directory_org_facets() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'confirmed' THEN
            UPDATE {CUBE} SET n = n - 1 WHERE country = OLD.country
                AND ica_activity = OLD.ica_activity AND activity = OLD.activity
                AND structure = OLD.structure;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'confirmed' THEN
            INSERT INTO {CUBE} ({FACET_COLUMNS}, n)
            VALUES (NEW.country, NEW.ica_activity, NEW.activity, NEW.structure, 1)
            ON CONFLICT ({FACET_COLUMNS}) DO UPDATE SET n = {CUBE}.n + 1;
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER directory_org_facets_ai AFTER INSERT OR DELETE ON {ORG}
        FOR EACH ROW EXECUTE FUNCTION directory_org_facets()""",
    f"""CREATE TRIGGER directory_org_facets_au AFTER UPDATE OF status, {FACET_COLUMNS}
        ON {ORG} FOR EACH ROW
        WHEN ((OLD.status, OLD.country, OLD.ica_activity, OLD.activity, OLD.structure)
            IS DISTINCT FROM
            (NEW.status, NEW.country, NEW.ica_activity, NEW.activity, NEW.structure))
        EXECUTE FUNCTION directory_org_facets()""",
    # Text matches are always among confirmed organisations.
    f"CREATE INDEX dir_org_search_confirmed_gin ON {ORG} USING GIN (search_tsv) "
    "WHERE status = 'confirmed'",
]
POSTGRES_BACKWARD = [
    *DROP_INDEXES,
    "DROP INDEX IF EXISTS dir_org_search_confirmed_gin",
    f"DROP TRIGGER IF EXISTS directory_org_facets_au ON {ORG}",
    f"DROP TRIGGER IF EXISTS directory_org_facets_ai ON {ORG}",
    "DROP FUNCTION IF EXISTS directory_org_facets()",
    f"DROP TABLE IF EXISTS {CUBE}",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_full_text_search")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
