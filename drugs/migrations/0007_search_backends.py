"""The full-text machinery the models cannot declare: on PostgreSQL the pg_trgm and unaccent
extensions, a trigger-filled tsvector column and GIN indexes; on SQLite FTS5 tables kept by
triggers. Each half does nothing on the other database.

The SQL is frozen here as it was when this migration was last changed: a migration must not
change when the search backends do (drugs/search/postgres.py, sqlite.py).
"""

from django.db import migrations

POSTGRES = [
    'CREATE EXTENSION IF NOT EXISTS pg_trgm',
    'CREATE EXTENSION IF NOT EXISTS unaccent',
    'ALTER TABLE drugs_searchdocument ADD COLUMN IF NOT EXISTS vector tsvector',
    "\n    CREATE OR REPLACE FUNCTION drugs_searchdocument_vector() RETURNS trigger AS $$\n    BEGIN\n      NEW.vector :=\n        setweight(to_tsvector('english', unaccent(coalesce(NEW.names, ''))), 'A') ||\n        setweight(to_tsvector('english', unaccent(coalesce(NEW.keywords, ''))), 'B') ||\n        setweight(to_tsvector('english', unaccent(coalesce(NEW.body, ''))), 'C');\n      RETURN NEW;\n    END\n    $$ LANGUAGE plpgsql\n    ",
    'DROP TRIGGER IF EXISTS drugs_searchdocument_vector ON drugs_searchdocument',
    '\n    CREATE TRIGGER drugs_searchdocument_vector\n    BEFORE INSERT OR UPDATE ON drugs_searchdocument\n    FOR EACH ROW EXECUTE FUNCTION drugs_searchdocument_vector()\n    ',
    'UPDATE drugs_searchdocument SET names = names',
    'CREATE INDEX IF NOT EXISTS drugs_searchdocument_vector_idx ON drugs_searchdocument USING gin (vector)',
    'DROP INDEX IF EXISTS drugs_searchword_trgm_idx',
    'CREATE INDEX IF NOT EXISTS drugs_searchword_trgm_gist_idx ON drugs_searchword USING gist (word gist_trgm_ops)',
]

POSTGRES_UNINSTALL = [
    'DROP INDEX IF EXISTS drugs_searchword_trgm_idx',
    'DROP INDEX IF EXISTS drugs_searchword_trgm_gist_idx',
    'DROP TRIGGER IF EXISTS drugs_searchdocument_vector ON drugs_searchdocument',
    'DROP FUNCTION IF EXISTS drugs_searchdocument_vector()',
    'ALTER TABLE drugs_searchdocument DROP COLUMN IF EXISTS vector',
]

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS drugs_searchdocument_fts USING fts5(names, keywords, body, content='drugs_searchdocument', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    'CREATE TRIGGER IF NOT EXISTS drugs_searchdocument_fts_ai AFTER INSERT ON drugs_searchdocument BEGIN INSERT INTO drugs_searchdocument_fts(rowid, names, keywords, body) VALUES (new.id, new.names, new.keywords, new.body); END',
    "CREATE TRIGGER IF NOT EXISTS drugs_searchdocument_fts_ad AFTER DELETE ON drugs_searchdocument BEGIN INSERT INTO drugs_searchdocument_fts(drugs_searchdocument_fts, rowid, names, keywords, body) VALUES ('delete', old.id, old.names, old.keywords, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS drugs_searchdocument_fts_au AFTER UPDATE ON drugs_searchdocument BEGIN INSERT INTO drugs_searchdocument_fts(drugs_searchdocument_fts, rowid, names, keywords, body) VALUES ('delete', old.id, old.names, old.keywords, old.body); INSERT INTO drugs_searchdocument_fts(rowid, names, keywords, body) VALUES (new.id, new.names, new.keywords, new.body); END",
    "INSERT INTO drugs_searchdocument_fts(drugs_searchdocument_fts) VALUES ('rebuild')",
    "INSERT INTO drugs_searchdocument_fts(drugs_searchdocument_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS drugs_searchword_fts USING fts5(word, content='drugs_searchword', content_rowid='id', tokenize='trigram')",
    'CREATE TRIGGER IF NOT EXISTS drugs_searchword_fts_ai AFTER INSERT ON drugs_searchword BEGIN INSERT INTO drugs_searchword_fts(rowid, word) VALUES (new.id, new.word); END',
    "CREATE TRIGGER IF NOT EXISTS drugs_searchword_fts_ad AFTER DELETE ON drugs_searchword BEGIN INSERT INTO drugs_searchword_fts(drugs_searchword_fts, rowid, word) VALUES ('delete', old.id, old.word); END",
    "CREATE TRIGGER IF NOT EXISTS drugs_searchword_fts_au AFTER UPDATE ON drugs_searchword BEGIN INSERT INTO drugs_searchword_fts(drugs_searchword_fts, rowid, word) VALUES ('delete', old.id, old.word); INSERT INTO drugs_searchword_fts(rowid, word) VALUES (new.id, new.word); END",
    "INSERT INTO drugs_searchword_fts(drugs_searchword_fts) VALUES ('rebuild')",
]

SQLITE_UNINSTALL = [
    'DROP TRIGGER IF EXISTS drugs_searchdocument_fts_ai',
    'DROP TRIGGER IF EXISTS drugs_searchdocument_fts_ad',
    'DROP TRIGGER IF EXISTS drugs_searchdocument_fts_au',
    'DROP TRIGGER IF EXISTS drugs_searchword_fts_ai',
    'DROP TRIGGER IF EXISTS drugs_searchword_fts_ad',
    'DROP TRIGGER IF EXISTS drugs_searchword_fts_au',
    'DROP TABLE IF EXISTS drugs_searchdocument_fts',
    'DROP TABLE IF EXISTS drugs_searchword_fts',
]


def _run(postgres, sqlite):
    def run(apps, schema_editor):
        statements = {"postgresql": postgres, "sqlite": sqlite}.get(schema_editor.connection.vendor)
        for statement in statements or []:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("drugs", "0006_content_version"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRES, SQLITE), _run(POSTGRES_UNINSTALL, SQLITE_UNINSTALL))
    ]
