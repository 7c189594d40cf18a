"""Load the ESSGlobal taxonomies shipped in data/essglobal, so that a freshly migrated
database accepts imports (`solidaria import directory ...`) without running the demo or
`solidaria load_taxonomies` first.

Idempotent: concepts that exist (for example from an earlier `load_taxonomies`) are
updated in place, never duplicated. Without the bundled data folder (the package used
outside a checkout) it loads nothing; `solidaria load_taxonomies DIR` does it later.
Reversing it leaves the concepts in place (other rows may use their codes).
"""

from django.db import migrations


def load_shipped_taxonomies(apps, schema_editor):
    from solidaria.core.paths import bundled_data_dir
    from solidaria.directory.taxonomy import parse_all

    try:
        root = bundled_data_dir() / "essglobal"
    except FileNotFoundError:
        return
    if not root.is_dir():
        return
    Concept = apps.get_model("directory", "Concept")
    alias = schema_editor.connection.alias
    existing = {(c.scheme, c.code): c for c in Concept.objects.using(alias).all()}
    to_create, to_update = [], []
    for key, parsed in parse_all(root).items():
        row = existing.get(key)
        if row is None:
            to_create.append(
                Concept(
                    scheme=parsed.scheme,
                    code=parsed.code,
                    labels=dict(parsed.labels),
                    scope_notes=dict(parsed.scope_notes),
                )
            )
        elif row.labels != parsed.labels or row.scope_notes != parsed.scope_notes:
            row.labels, row.scope_notes = dict(parsed.labels), dict(parsed.scope_notes)
            to_update.append(row)
    Concept.objects.using(alias).bulk_create(to_create, batch_size=500)
    Concept.objects.using(alias).bulk_update(to_update, ["labels", "scope_notes"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_facet_keys")]

    operations = [
        migrations.RunPython(load_shipped_taxonomies, migrations.RunPython.noop, elidable=True),
    ]
