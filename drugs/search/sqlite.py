"""The SQLite backend: FTS5 with BM25 ranking, and an FTS5 trigram index of words for typos.

Both FTS5 tables are external-content tables kept in step by triggers, so every insert, update
or delete of a search document or word (bulk ones included) reaches the index.
"""

from contextlib import contextmanager

from django.db import connection, transaction

from drugs.search.query import Hit, Query

DOCS = "drugs_searchdocument"
DOCS_FTS = "drugs_searchdocument_fts"
WORDS = "drugs_searchword"
WORDS_FTS = "drugs_searchword_fts"
# BM25 weights of the columns (names, keywords, body): the A, B and C of PostgreSQL.
WEIGHTS = "bm25(10.0, 4.0, 1.0)"
# A glossary entry's rank counts this much of a drug's part's: everyday words ("fever") find the
# side effects people mean before the definitions of medical words that contain them.
GLOSSARY_FACTOR = 0.3
# The kind is in the documents table only; SQLite builds this list once per statement (the
# (kind, object_id) index serves it).
GLOSSARY_IDS = f"SELECT id FROM {DOCS} WHERE kind = 'glossary' AND names <> %s"


DOCS_COLUMNS = ["names", "keywords", "body"]
# Inserts of at least this many documents are indexed together (adding_documents).
BULK_FROM = 1000


def _index_new_row(fts: str, columns: list[str]) -> str:
    new = ", ".join(f"new.{c}" for c in columns)
    return f"INSERT INTO {fts}(rowid, {', '.join(columns)}) VALUES (new.id, {new});"


def _insert_trigger(fts: str, table: str, columns: list[str]) -> str:
    insert = _index_new_row(fts, columns)
    return f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END"


def _fts_table(fts: str, table: str, columns: list[str], tokenize: str) -> list[str]:
    cols = ", ".join(columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    insert = _index_new_row(fts, columns)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, "
        f"content='{table}', content_rowid='id', tokenize='{tokenize}')",
        _insert_trigger(fts, table, columns),
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE ON {table} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


SCHEMA = [
    *_fts_table(
        DOCS_FTS,
        DOCS,
        DOCS_COLUMNS,
        "porter unicode61 remove_diacritics 2",
    ),
    f"INSERT INTO {DOCS_FTS}({DOCS_FTS}, rank) VALUES ('rank', '{WEIGHTS}')",
    *_fts_table(WORDS_FTS, WORDS, ["word"], "trigram"),
]
UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {fts}_{t}" for fts in (DOCS_FTS, WORDS_FTS) for t in ("ai", "ad", "au")
] + [f"DROP TABLE IF EXISTS {fts}" for fts in (DOCS_FTS, WORDS_FTS)]


@contextmanager
def adding_documents(count: int):
    """Index the documents inserted in this block with one statement at its end, not row by
    row: for an import's thousands, the trigger costs several times as much (bench/README.md).

    The insert trigger is dropped for the block and made again, in one transaction: other
    connections only ever see the table with it (schema changes are transactional in SQLite).
    """
    if count < BULK_FROM:
        yield
        return
    cols = ", ".join(DOCS_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        # Ids only grow (AUTOINCREMENT): the block's rows are those above the largest now.
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {DOCS}")
        (before,) = cursor.fetchone()
        cursor.execute(f"DROP TRIGGER {DOCS_FTS}_ai")
        yield
        cursor.execute(
            f"INSERT INTO {DOCS_FTS}(rowid, {cols}) SELECT id, {cols} FROM {DOCS} WHERE id > %s",
            [before],
        )
        cursor.execute(_insert_trigger(DOCS_FTS, DOCS, DOCS_COLUMNS))


# --- queries ------------------------------------------------------------------------------
# User text never reaches SQL: a MATCH expression is built only from words made of letters and
# digits (query.WORD_RE), each in double quotes, so FTS5 reads it as a string, never an operator.


def _string(words: tuple[str, ...]) -> str:
    return '"' + " ".join(words).replace('"', '""') + '"'


def _alternative(words: tuple[str, ...], phrase: bool) -> str:
    if phrase:
        return _string(words)
    return "(" + " AND ".join(_string((w,)) for w in words) + ")"


def _group(group) -> str:
    return "(" + " OR ".join(_alternative(a, p) for a, p in group.options()) + ")"


def _excluding(query: Query, expression: str) -> str:
    if query.excluded:
        return f"({expression}) NOT ({' OR '.join(_string(e) for e in query.excluded)})"
    return expression


def match_expression(query: Query, require_all: bool) -> tuple[str, list[str]]:
    """The whole query as one MATCH expression, and one expression per group."""
    groups = [_group(g) for g in query.groups]
    return _excluding(query, (" AND " if require_all else " OR ").join(groups)), groups


def _restrict(drug_ids: list[int] | None) -> tuple[str, list]:
    if not drug_ids:
        return "", []
    placeholders = ", ".join(["%s"] * len(drug_ids))
    return f"AND rowid IN (SELECT id FROM {DOCS} WHERE drug_id IN ({placeholders}))", list(drug_ids)


def find(
    query: Query,
    limit: int,
    drug_ids: list[int] | None = None,
    offset: int = 0,
    term: str = "",
    weights: list[float] | None = None,
) -> tuple[list[Hit], int]:
    """One page of the best documents, and how many match in all. Documents have every group
    of the query; or, given `weights` (how much each group counts), groups weighing at least
    half the total, most first. `term`: the glossary entry that is the query itself, which
    ranks as any other document."""
    require_all = weights is None
    full, groups = match_expression(query, require_all)
    params: list = []
    # With any word allowed: the weight of the query's parts a document matches comes first.
    coverage, enough = "0", ""
    if not require_all:
        coverage = " + ".join(
            f"(rowid IN (SELECT rowid FROM {DOCS_FTS} WHERE {DOCS_FTS} MATCH %s)) * %s"
            for _ in groups
        )
        for group, weight in zip(groups, weights, strict=True):
            params += [group, weight]
    params += [term, GLOSSARY_FACTOR, full]
    restrict, restrict_params = _restrict(drug_ids)
    params += restrict_params
    if not require_all:
        enough = "AND coverage >= %s"
        params.append(sum(weights) / 2)
    params += [limit, offset]
    # Ranked on the FTS table alone; only the rows kept are joined to their documents (with
    # thousands of matches, joining each one first costs more than ranking them). bm25 is
    # negative, best lowest: a glossary entry's is multiplied by a factor below 1.
    sql = f"""
        SELECT d.id, d.kind, d.title, d.url, dr.slug, dr.name, f.total
        FROM (
            SELECT rowid, {coverage} AS coverage,
                   rank * CASE WHEN rowid IN ({GLOSSARY_IDS}) THEN %s ELSE 1 END AS score,
                   count(*) OVER () AS total
            FROM {DOCS_FTS}
            WHERE {DOCS_FTS} MATCH %s {restrict} {enough}
            ORDER BY coverage DESC, score, rowid
            LIMIT %s OFFSET %s
        ) AS f
        JOIN {DOCS} d ON d.id = f.rowid
        LEFT JOIN drugs_drug dr ON dr.id = d.drug_id
        WHERE d.drug_id IS NULL OR (dr.status = 'published' AND dr.revision_of_id IS NULL)
        ORDER BY f.coverage DESC, f.score, f.rowid
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows and offset:
        # A page past the last: how many there are, from the first page.
        return [], find(query, 1, drug_ids, 0, term, weights)[1]
    return [Hit(*row[:6]) for row in rows], (rows[0][6] if rows else 0)


def group_counts(query: Query, drug_ids: list[int] | None = None) -> tuple[list[int], int]:
    """How many documents match each group of the query, and how many documents there are,
    in one statement."""
    _, groups = match_expression(query, True)
    restrict, restrict_params = _restrict(drug_ids)
    one = f"(SELECT count(*) FROM {DOCS_FTS} WHERE {DOCS_FTS} MATCH %s {restrict})"
    params = [p for g in groups for p in (g, *restrict_params)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join([one] * len(groups) + [f"(SELECT count(*) FROM {DOCS})"]),
            params,
        )
        *counts, documents = cursor.fetchone()
    return list(counts), documents


def add_snippets(query: Query, hits: list[Hit], require_all: bool) -> None:
    """Snippets for the rows shown only, each looked up by rowid (with `rowid IN (...)` FTS5
    would run the whole query again)."""
    if not hits:
        return
    full, _ = match_expression(query, require_all)
    one = (
        f"SELECT rowid, snippet({DOCS_FTS}, 2, char(2), char(3), '…', 24) "
        f"FROM {DOCS_FTS} WHERE {DOCS_FTS} MATCH %s AND rowid = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join([one] * len(hits)), [p for h in hits for p in (full, h.id)]
        )
        snippets = dict(cursor.fetchall())
    for hit in hits:
        hit.snippet = snippets.get(hit.id, "")


def similar_words(word: str, limit: int = 40) -> list[tuple[str, int | None]]:
    """Words sharing trigrams with `word`, of a similar length: candidates for a correction."""
    trigrams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
    if not trigrams:
        return []
    expression = " OR ".join(_string((t,)) for t in trigrams)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT w.word, w.drug_id
            FROM {WORDS_FTS} JOIN {WORDS} w ON w.id = {WORDS_FTS}.rowid
            WHERE {WORDS_FTS} MATCH %s AND length(w.word) BETWEEN %s AND %s
            ORDER BY {WORDS_FTS}.rank
            LIMIT %s
            """,
            [expression, len(word) - 3, len(word) + 3, limit],
        )
        return cursor.fetchall()
