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
    from solidaria.directory.taxonomy import sync_concepts

    try:
        root = bundled_data_dir() / "essglobal"
    except FileNotFoundError:
        return
    if not root.is_dir():
        return
    sync_concepts(
        apps.get_model("directory", "Concept"), root, using=schema_editor.connection.alias
    )


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_facet_keys")]

    operations = [
        migrations.RunPython(load_shipped_taxonomies, migrations.RunPython.noop, elidable=True),
    ]
