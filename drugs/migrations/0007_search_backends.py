"""The full-text machinery the models cannot declare: on PostgreSQL the pg_trgm and unaccent
extensions, a trigger-filled tsvector column and GIN indexes; on SQLite FTS5 tables kept by
triggers. Each half does nothing on the other database."""

from django.db import migrations

from drugs.search import postgres, sqlite


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        postgres.install(schema_editor)
    elif vendor == "sqlite":
        sqlite.install(schema_editor)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        postgres.uninstall(schema_editor)
    elif vendor == "sqlite":
        sqlite.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("drugs", "0006_content_version"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
