"""Full-text search index, per database: an FTS5 table kept in step by triggers on
SQLite; a generated tsvector column with a GIN index on PostgreSQL."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE directory_organisation_fts USING fts5(
        name, description, locality, tags,
        content='directory_organisation', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER directory_org_fts_ai AFTER INSERT ON directory_organisation BEGIN
        INSERT INTO directory_organisation_fts(rowid, name, description, locality, tags)
        VALUES (new.id, new.name, new.description, new.locality, new.tags);
    END""",
    """CREATE TRIGGER directory_org_fts_ad AFTER DELETE ON directory_organisation BEGIN
        INSERT INTO directory_organisation_fts(directory_organisation_fts, rowid, name,
            description, locality, tags)
        VALUES ('delete', old.id, old.name, old.description, old.locality, old.tags);
    END""",
    """CREATE TRIGGER directory_org_fts_au AFTER UPDATE OF name, description, locality, tags
        ON directory_organisation BEGIN
        INSERT INTO directory_organisation_fts(directory_organisation_fts, rowid, name,
            description, locality, tags)
        VALUES ('delete', old.id, old.name, old.description, old.locality, old.tags);
        INSERT INTO directory_organisation_fts(rowid, name, description, locality, tags)
        VALUES (new.id, new.name, new.description, new.locality, new.tags);
    END""",
    "INSERT INTO directory_organisation_fts(directory_organisation_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS directory_org_fts_au",
    "DROP TRIGGER IF EXISTS directory_org_fts_ad",
    "DROP TRIGGER IF EXISTS directory_org_fts_ai",
    "DROP TABLE IF EXISTS directory_organisation_fts",
]
POSTGRES_FORWARD = [
    """ALTER TABLE directory_organisation ADD COLUMN search_tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig,
            coalesce(name, '') || ' ' || coalesce(locality, '') || ' ' ||
            coalesce(description, '') || ' ' || coalesce(tags::text, ''))) STORED""",
    "CREATE INDEX directory_org_search_gin ON directory_organisation USING GIN (search_tsv)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS directory_org_search_gin",
    "ALTER TABLE directory_organisation DROP COLUMN IF EXISTS search_tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
