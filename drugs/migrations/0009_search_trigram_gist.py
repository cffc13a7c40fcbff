"""PostgreSQL only: the trigram index of search words becomes GiST (see postgres.TRIGRAM_INDEX)."""

from django.db import migrations

from drugs.search import postgres

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

    operations = [migrations.RunPython(_run(postgres.TRIGRAM_INDEX), _run(GIN))]
