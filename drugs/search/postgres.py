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
# A glossary entry's rank counts this much of a drug's part's: everyday words ("fever") find the
# side effects people mean before the definitions of medical words that contain them.
GLOSSARY_FACTOR = 0.3
PUBLISHED_DRUGS = (
    "SELECT dr.id FROM drugs_drug dr WHERE dr.status = 'published' AND dr.revision_of_id IS NULL"
)

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


def _excluding(query: Query, sql: str, params: list[str]) -> tuple[str, list[str]]:
    if query.excluded:
        sql = f"({sql}) && !!(" + " || ".join(TSQUERY for _ in query.excluded) + ")"
        params = params + [" ".join(e) for e in query.excluded]
    return sql, params


def tsquery(query: Query, require_all: bool) -> tuple[str, list[str], list[tuple[str, list[str]]]]:
    """The whole query as a tsquery expression with its parameters, and each group's."""
    groups = [_group(g) for g in query.groups]
    sql = (" && " if require_all else " || ").join(s for s, _ in groups)
    params = [p for _, ps in groups for p in ps]
    sql, params = _excluding(query, sql, params)
    return sql, params, groups


def find(
    query: Query,
    limit: int,
    drug_ids: list[int] | None = None,
    offset: int = 0,
    term: str = "",
    weights: list[float] | None = None,
) -> tuple[list[Hit], int]:
    """One page of the best documents with their snippets, and how many match in all, in one
    statement. Documents have every group of the query; or, given `weights` (how much each
    group counts), groups weighing at least half the total, most first. `term`: the glossary
    entry that is the query itself, which ranks as any other document."""
    require_all = weights is None
    full, params, groups = tsquery(query, require_all)
    # The tsqueries are built once, in `q`: written inline, unaccent() and the parser would run
    # again for every row ranked.
    columns = [f"{full} AS q"]
    # With any word allowed: the weight of the query's parts a document matches comes first.
    coverage, enough = "0", "0"
    if not require_all:
        columns += [f"{sql} AS g{i}" for i, (sql, _) in enumerate(groups)]
        params += [p for _, ps in groups for p in ps]
        coverage = " + ".join(f"(c.vector @@ q.g{i})::int * %s::float8" for i in range(len(groups)))
        enough = "%s::float8"
    restrict = ""
    if drug_ids:
        restrict = "AND d.drug_id = ANY(%s)"
        params.append(list(drug_ids))
    if not require_all:
        params += [*weights, term, GLOSSARY_FACTOR, sum(weights) / 2]
    else:
        params += [term, GLOSSARY_FACTOR]
    params += [limit, offset]
    # Unpublished drugs are left out before the cap and the limit, so they take no place; the
    # costly ts_headline runs on the rows kept only.
    sql = f"""
        WITH q AS MATERIALIZED (SELECT {", ".join(columns)}),
        candidates AS (
            SELECT d.id, d.kind, d.title, d.url, d.drug_id, d.names, d.vector
            FROM drugs_searchdocument d, q
            WHERE d.vector @@ q.q {restrict}
              AND (d.drug_id IS NULL OR d.drug_id IN ({PUBLISHED_DRUGS}))
            LIMIT {MAX_CANDIDATES}
        ),
        scored AS MATERIALIZED (
            SELECT c.id, c.kind, c.title, c.url, c.drug_id,
                   {coverage} AS coverage,
                   ts_rank(c.vector, q.q)
                   * CASE WHEN c.kind = 'glossary' AND c.names <> %s THEN %s ELSE 1 END
                   AS score
            FROM candidates c, q
        ),
        kept AS (SELECT * FROM scored WHERE coverage >= {enough}),
        top AS (
            SELECT * FROM kept ORDER BY coverage DESC, score DESC, id LIMIT %s OFFSET %s
        )
        SELECT t.id, t.kind, t.title, t.url, dr.slug, dr.name,
               ts_headline('{CONFIG}', d.body, q.q, {HEADLINE_OPTIONS}),
               (SELECT count(*) FROM kept)
        FROM top t
        CROSS JOIN q
        JOIN drugs_searchdocument d ON d.id = t.id
        LEFT JOIN drugs_drug dr ON dr.id = t.drug_id
        ORDER BY t.coverage DESC, t.score DESC, t.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows and offset:
        # A page past the last: how many there are, from the first page.
        return [], find(query, 1, drug_ids, 0, term, weights)[1]
    return [Hit(*row[:7]) for row in rows], (rows[0][7] if rows else 0)


def group_counts(query: Query, drug_ids: list[int] | None = None) -> tuple[list[int], int]:
    """How many published documents match each group of the query (at most MAX_CANDIDATES),
    and how many documents there are, in one statement."""
    restrict = ""
    restrict_params: list = []
    if drug_ids:
        restrict = "AND d.drug_id = ANY(%s)"
        restrict_params = [list(drug_ids)]
    parts, params = [], []
    for group in query.groups:
        sql, group_params = _group(group)
        parts.append(
            f"""(SELECT count(*) FROM (
                SELECT 1 FROM drugs_searchdocument d
                WHERE d.vector @@ {sql} {restrict}
                  AND (d.drug_id IS NULL OR d.drug_id IN ({PUBLISHED_DRUGS}))
                LIMIT {MAX_CANDIDATES}) AS g)"""
        )
        params += [*group_params, *restrict_params]
    parts.append(
        "(SELECT count(*) FROM drugs_searchdocument d "
        f"WHERE d.drug_id IS NULL OR d.drug_id IN ({PUBLISHED_DRUGS}))"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        *counts, documents = cursor.fetchone()
    return list(counts), documents


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
