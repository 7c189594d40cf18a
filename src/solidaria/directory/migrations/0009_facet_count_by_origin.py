"""The facet count table (0003) counted per origin: the network's own entries and entries
aggregated from other networks (`source_network IS NOT NULL`) in separate rows, so a
search filtered by `federated=exclude|only` (and facet values) is answered from the table
like an unfiltered one, instead of grouping every matching organisation.

Measured with 1,000,000 federated profiles on PostgreSQL (bench/bench_aggregation.py):
`federated=only` alone went from grouping a million rows to reading a few hundred table
rows (figures in bench/results/aggregation.md).

Raw SQL per database like 0003: none of it is model state. The table is rebuilt from the
organisations, so a migration run on a live database only costs one GROUP BY.
"""

from django.db import migrations

ORG = "directory_organisation"
CUBE = "directory_facet_count"
FACET_COLUMNS = "country, ica_activity, activity, structure"
KEY = f"{FACET_COLUMNS}, federated"


def _table(bool_type: str) -> list[str]:
    return [
        f"DROP TABLE IF EXISTS {CUBE}",
        f"""CREATE TABLE {CUBE} (
            country varchar(2) NOT NULL, ica_activity varchar(16) NOT NULL,
            activity varchar(16) NOT NULL, structure varchar(16) NOT NULL,
            federated {bool_type} NOT NULL, n integer NOT NULL, PRIMARY KEY ({KEY}))""",
        f"INSERT INTO {CUBE} ({KEY}, n) SELECT {FACET_COLUMNS}, "
        f"source_network IS NOT NULL, COUNT(*) FROM {ORG} WHERE status = 'confirmed' "
        f"GROUP BY {FACET_COLUMNS}, source_network IS NOT NULL",
    ]


def _old_table() -> list[str]:
    return [
        f"DROP TABLE IF EXISTS {CUBE}",
        f"""CREATE TABLE {CUBE} (
            country varchar(2) NOT NULL, ica_activity varchar(16) NOT NULL,
            activity varchar(16) NOT NULL, structure varchar(16) NOT NULL,
            n integer NOT NULL, PRIMARY KEY ({FACET_COLUMNS}))""",
        f"INSERT INTO {CUBE} ({FACET_COLUMNS}, n) SELECT {FACET_COLUMNS}, COUNT(*) FROM {ORG} "
        f"WHERE status = 'confirmed' GROUP BY {FACET_COLUMNS}",
    ]


SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS directory_org_facets_au",
    "DROP TRIGGER IF EXISTS directory_org_facets_ad",
    "DROP TRIGGER IF EXISTS directory_org_facets_ai",
]
SQLITE_FORWARD = [
    *SQLITE_DROP,
    *_table("integer"),
    f"""CREATE TRIGGER directory_org_facets_ai AFTER INSERT ON {ORG}
        WHEN new.status = 'confirmed' BEGIN
        INSERT INTO {CUBE} ({KEY}, n)
        VALUES (new.country, new.ica_activity, new.activity, new.structure,
            new.source_network IS NOT NULL, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER directory_org_facets_ad AFTER DELETE ON {ORG}
        WHEN old.status = 'confirmed' BEGIN
        UPDATE {CUBE} SET n = n - 1 WHERE country = old.country
            AND ica_activity = old.ica_activity AND activity = old.activity
            AND structure = old.structure AND federated = (old.source_network IS NOT NULL);
    END""",
    f"""CREATE TRIGGER directory_org_facets_au AFTER UPDATE OF
        status, {FACET_COLUMNS}, source_network ON {ORG}
        WHEN old.status IS NOT new.status OR old.country IS NOT new.country
            OR old.ica_activity IS NOT new.ica_activity OR old.activity IS NOT new.activity
            OR old.structure IS NOT new.structure
            OR (old.source_network IS NULL) IS NOT (new.source_network IS NULL) BEGIN
        UPDATE {CUBE} SET n = n - 1 WHERE old.status = 'confirmed'
            AND country = old.country AND ica_activity = old.ica_activity
            AND activity = old.activity AND structure = old.structure
            AND federated = (old.source_network IS NOT NULL);
        INSERT INTO {CUBE} ({KEY}, n)
        SELECT new.country, new.ica_activity, new.activity, new.structure,
            new.source_network IS NOT NULL, 1
        WHERE new.status = 'confirmed'
        ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;
    END""",
]
SQLITE_BACKWARD = [
    *SQLITE_DROP,
    *_old_table(),
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
]

PG_DROP = [
    f"DROP TRIGGER IF EXISTS directory_org_facets_au ON {ORG}",
    f"DROP TRIGGER IF EXISTS directory_org_facets_ai ON {ORG}",
    "DROP FUNCTION IF EXISTS directory_org_facets()",
]
POSTGRES_FORWARD = [
    *PG_DROP,
    *_table("boolean"),
    f"""CREATE FUNCTION directory_org_facets() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'confirmed' THEN
            UPDATE {CUBE} SET n = n - 1 WHERE country = OLD.country
                AND ica_activity = OLD.ica_activity AND activity = OLD.activity
                AND structure = OLD.structure
                AND federated = (OLD.source_network IS NOT NULL);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'confirmed' THEN
            INSERT INTO {CUBE} ({KEY}, n)
            VALUES (NEW.country, NEW.ica_activity, NEW.activity, NEW.structure,
                NEW.source_network IS NOT NULL, 1)
            ON CONFLICT ({KEY}) DO UPDATE SET n = {CUBE}.n + 1;
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER directory_org_facets_ai AFTER INSERT OR DELETE ON {ORG}
        FOR EACH ROW EXECUTE FUNCTION directory_org_facets()""",
    f"""CREATE TRIGGER directory_org_facets_au
        AFTER UPDATE OF status, {FACET_COLUMNS}, source_network ON {ORG} FOR EACH ROW
        WHEN ((OLD.status, OLD.country, OLD.ica_activity, OLD.activity, OLD.structure,
            OLD.source_network IS NULL) IS DISTINCT FROM
            (NEW.status, NEW.country, NEW.ica_activity, NEW.activity, NEW.structure,
            NEW.source_network IS NULL))
        EXECUTE FUNCTION directory_org_facets()""",
]
POSTGRES_BACKWARD = [
    *PG_DROP,
    *_old_table(),
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
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0008_federated_entries")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
