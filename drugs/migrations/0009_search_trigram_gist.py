"""PostgreSQL only: the trigram index of search words becomes GiST (SQL frozen as written then)."""

from django.db import migrations

GIST = [
    'DROP INDEX IF EXISTS drugs_searchword_trgm_idx',
    'CREATE INDEX IF NOT EXISTS drugs_searchword_trgm_gist_idx ON drugs_searchword USING gist (word gist_trgm_ops)',
]
GIN = [
    "DROP INDEX IF EXISTS drugs_searchword_trgm_gist_idx",
    "CREATE INDEX IF NOT EXISTS drugs_searchword_trgm_idx "
    "ON drugs_searchword USING gin (word gin_trgm_ops)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("drugs", "0008_history_monograph_data"),
    ]

    operations = [migrations.RunPython(_run(GIST), _run(GIN))]
