"""The PostgreSQL backend: weighted tsvector search with ts_rank and ts_headline, unaccent, and
pg_trgm similarity over the word list for misspellings.

The vector column is filled by a trigger, so every insert or update (bulk ones included) is
indexed; the model does not declare it, since SQLite has no such column.
"""

from contextlib import nullcontext

from django.db import connection

from drugs.search.query import Hit, Query

CONFIG = "english"

# GiST, not GIN: the planner costs `%` as cheap and, with a few thousand words, scanned them all
# with a GIN index in place; a GiST index also serves the ordering (figures: bench/README.md).
TRIGRAM_INDEX = [
    "DROP INDEX IF EXISTS drugs_searchword_trgm_idx",
    "CREATE INDEX IF NOT EXISTS drugs_searchword_trgm_gist_idx "
    "ON drugs_searchword USING gist (word gist_trgm_ops)",
]
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
    # similar_words(): `word % 'pomalidamide' ORDER BY word <-> 'pomalidamide'`.
    *TRIGRAM_INDEX,
]
UNINSTALL = [
    "DROP INDEX IF EXISTS drugs_searchword_trgm_idx",
    "DROP INDEX IF EXISTS drugs_searchword_trgm_gist_idx",
    "DROP TRIGGER IF EXISTS drugs_searchdocument_vector ON drugs_searchdocument",
    "DROP FUNCTION IF EXISTS drugs_searchdocument_vector()",
    "ALTER TABLE drugs_searchdocument DROP COLUMN IF EXISTS vector",
]


def adding_documents(count: int):
    """Nothing to do: the row trigger only fills the row's own vector."""
    return nullcontext()


# --- queries ------------------------------------------------------------------------------
# The SQL is assembled from fixed fragments only; every word the user typed is a parameter.

# Ranking reads every matching row: a query as common as "blood" matches about a quarter of all
# documents, and ranking them all is most of a search's time (bench/README.md). Beyond this many
# matches, only the first found are ranked; a word that common ranks them alike anyway.
MAX_CANDIDATES = 1000

TSQUERY = f"websearch_to_tsquery('{CONFIG}', unaccent(%s))"
HEADLINE_OPTIONS = (
    "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || "
    "', MaxWords=35, MinWords=15, MaxFragments=1, FragmentDelimiter=\" … \"'"
)


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
    """The best `limit` documents with their snippets, in one statement."""
    full, params, groups = tsquery(query, require_all)
    # The tsqueries are built once, in `q`: written inline, unaccent() and the parser would run
    # again for every row ranked.
    columns = [f"{full} AS q"]
    # With any word allowed: how many of the query's parts a document matches comes first.
    coverage = "0"
    if not require_all and len(groups) > 1:
        columns += [f"{sql} AS g{i}" for i, (sql, _) in enumerate(groups)]
        params += [p for _, ps in groups for p in ps]
        coverage = " + ".join(f"(c.vector @@ q.g{i})::int" for i in range(len(groups)))
    restrict = ""
    if drug_ids:
        restrict = "AND d.drug_id = ANY(%s)"
        params.append(list(drug_ids))
    params.append(limit)
    # Unpublished drugs are left out before the cap and the limit, so they take no place; the
    # costly ts_headline runs on the rows kept only.
    sql = f"""
        WITH q AS MATERIALIZED (SELECT {", ".join(columns)}),
        candidates AS (
            SELECT d.id, d.kind, d.title, d.url, d.drug_id, d.vector
            FROM drugs_searchdocument d, q
            WHERE d.vector @@ q.q {restrict}
              AND (d.drug_id IS NULL OR d.drug_id IN (
                  SELECT dr.id FROM drugs_drug dr
                  WHERE dr.status = 'published' AND dr.revision_of_id IS NULL))
            LIMIT {MAX_CANDIDATES}
        ),
        top AS (
            SELECT c.id, c.kind, c.title, c.url, c.drug_id,
                   {coverage} AS coverage, ts_rank(c.vector, q.q) AS score
            FROM candidates c, q
            ORDER BY coverage DESC, score DESC, c.id
            LIMIT %s
        )
        SELECT t.id, t.kind, t.title, t.url, dr.slug, dr.name,
               ts_headline('{CONFIG}', d.body, q.q, {HEADLINE_OPTIONS})
        FROM top t
        CROSS JOIN q
        JOIN drugs_searchdocument d ON d.id = t.id
        LEFT JOIN drugs_drug dr ON dr.id = t.drug_id
        ORDER BY t.coverage DESC, t.score DESC, t.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(*row) for row in cursor.fetchall()]


def add_snippets(query: Query, hits: list[Hit], require_all: bool) -> None:
    """Nothing to do: find() fetched the headlines of the rows it kept in the same statement."""


def similar_words(word: str, limit: int = 40) -> list[tuple[str, int | None]]:
    """Words whose trigrams resemble `word` (pg_trgm), most similar first."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT word, drug_id FROM drugs_searchword
            WHERE word %% %s
            ORDER BY word <-> %s, word
            LIMIT %s
            """,
            [word, word, limit],
        )
        return cursor.fetchall()
