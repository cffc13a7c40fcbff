"""The PostgreSQL backend: weighted tsvector search with ts_rank and ts_headline, unaccent, and
pg_trgm similarity over the word list for misspellings.

The vector column is filled by a trigger, so every insert or update (bulk ones included) is
indexed; the model does not declare it, since SQLite has no such column.
"""

from django.db import connection

from drugs.search.query import Hit, Query

CONFIG = "english"

SCHEMA = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "ALTER TABLE drugs_searchdocument ADD COLUMN IF NOT EXISTS vector tsvector",
    f"""
    CREATE OR REPLACE FUNCTION drugs_searchdocument_vector() RETURNS trigger AS $$
    BEGIN
      NEW.vector :=
        setweight(to_tsvector('{CONFIG}', unaccent(coalesce(NEW.names, ''))), 'A') ||
        setweight(to_tsvector('{CONFIG}', unaccent(coalesce(NEW.keywords, ''))), 'B') ||
        setweight(to_tsvector('{CONFIG}', unaccent(coalesce(NEW.body, ''))), 'C');
      RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS drugs_searchdocument_vector ON drugs_searchdocument",
    """
    CREATE TRIGGER drugs_searchdocument_vector
    BEFORE INSERT OR UPDATE ON drugs_searchdocument
    FOR EACH ROW EXECUTE FUNCTION drugs_searchdocument_vector()
    """,
    # Fill the vectors of rows that are already there.
    "UPDATE drugs_searchdocument SET names = names",
    # Every search: `vector @@ query`.
    "CREATE INDEX IF NOT EXISTS drugs_searchdocument_vector_idx "
    "ON drugs_searchdocument USING gin (vector)",
    # similar_words(): `word % 'pomalidamide'`.
    "CREATE INDEX IF NOT EXISTS drugs_searchword_trgm_idx "
    "ON drugs_searchword USING gin (word gin_trgm_ops)",
]
UNINSTALL = [
    "DROP INDEX IF EXISTS drugs_searchword_trgm_idx",
    "DROP TRIGGER IF EXISTS drugs_searchdocument_vector ON drugs_searchdocument",
    "DROP FUNCTION IF EXISTS drugs_searchdocument_vector()",
    "ALTER TABLE drugs_searchdocument DROP COLUMN IF EXISTS vector",
]


def install(executor) -> None:
    """Run the schema statements (idempotent) with a schema editor or a cursor."""
    for statement in SCHEMA:
        executor.execute(statement)


def uninstall(executor) -> None:
    for statement in UNINSTALL:
        executor.execute(statement)


# --- queries ------------------------------------------------------------------------------
# The SQL is assembled from fixed fragments only; every word the user typed is a parameter.

# Ranking reads every matching row (about 8 µs each here): a query as common as "blood" in
# 2000 monographs would cost 40 ms and more. Beyond this many matches, only the first found are
# ranked; a word that common ranks them all alike anyway.
MAX_CANDIDATES = 1000

TSQUERY = f"websearch_to_tsquery('{CONFIG}', unaccent(%s))"


def _group(group) -> tuple[str, list[str]]:
    parts, params = [], []
    for words, phrase in group.options():
        parts.append(TSQUERY)
        params.append(f'"{" ".join(words)}"' if phrase else " ".join(words))
    return "(" + " || ".join(parts) + ")", params


def tsquery(query: Query, require_all: bool) -> tuple[str, list[str], list[tuple[str, list[str]]]]:
    """The whole query as a tsquery expression with its parameters, and each group's."""
    groups = [_group(g) for g in query.groups]
    sql = (" && " if require_all else " || ").join(s for s, _ in groups)
    params = [p for _, ps in groups for p in ps]
    if query.excluded:
        sql = f"({sql}) && !!(" + " || ".join(TSQUERY for _ in query.excluded) + ")"
        params += [" ".join(e) for e in query.excluded]
    return sql, params, groups


def find(
    query: Query, limit: int, drug_ids: list[int] | None = None, require_all: bool = True
) -> list[Hit]:
    full, full_params, groups = tsquery(query, require_all)
    params: list = []
    # With any word allowed: how many of the query's parts a document matches comes first.
    coverage = "0"
    if not require_all and len(groups) > 1:
        coverage = " + ".join(f"(d.vector @@ {sql})::int" for sql, _ in groups)
        params += [p for _, ps in groups for p in ps]
    params += full_params + full_params
    restrict = ""
    if drug_ids:
        restrict = "AND d.drug_id = ANY(%s)"
        params.append(list(drug_ids))
    params.append(limit)
    # Ranked on the documents alone; only the rows kept are joined to their drugs.
    sql = f"""
        SELECT d.id, d.kind, d.title, d.url, dr.slug, dr.name
        FROM (
            SELECT d.id, d.kind, d.title, d.url, d.drug_id,
                   {coverage} AS coverage, ts_rank(d.vector, {full}) AS score
            FROM (
                SELECT * FROM drugs_searchdocument d
                WHERE d.vector @@ ({full}) {restrict}
                LIMIT {MAX_CANDIDATES}
            ) AS d
            ORDER BY coverage DESC, score DESC, d.id
            LIMIT %s
        ) AS d
        LEFT JOIN drugs_drug dr ON dr.id = d.drug_id
        WHERE d.drug_id IS NULL OR dr.status = 'published'
        ORDER BY d.coverage DESC, d.score DESC, d.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(*row[:6]) for row in cursor.fetchall()]


def add_snippets(query: Query, hits: list[Hit], require_all: bool) -> None:
    """Headlines for the rows shown only: ts_headline is the costly part."""
    if not hits:
        return
    full, full_params, _ = tsquery(query, require_all)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT d.id, ts_headline('{CONFIG}', d.body, {full},
                'StartSel=' || chr(2) || ', StopSel=' || chr(3) ||
                ', MaxWords=35, MinWords=15, MaxFragments=1, FragmentDelimiter=" … "')
            FROM drugs_searchdocument d WHERE d.id = ANY(%s)
            """,
            [*full_params, [h.id for h in hits]],
        )
        snippets = dict(cursor.fetchall())
    for hit in hits:
        hit.snippet = snippets.get(hit.id, "")


def similar_words(word: str, limit: int = 40) -> list[tuple[str, int | None]]:
    """Words whose trigrams resemble `word` (pg_trgm), most similar first."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT word, drug_id FROM drugs_searchword
            WHERE word %% %s
            ORDER BY similarity(word, %s) DESC, word
            LIMIT %s
            """,
            [word, word, limit],
        )
        return cursor.fetchall()
