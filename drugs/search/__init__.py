"""Search: one interface, two backends (PostgreSQL full-text search, SQLite FTS5).

Views and the API call search() and exact_drug_match(); neither knows which backend runs.
This package's own name re-exports only: the engine is drugs/search/engine.py.
"""

from drugs.search.engine import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_PAGE,
    MAX_QUERY_LENGTH,
    QueryError,
    Result,
    SearchResponse,
    backend,
    clean,
    exact_drug_match,
    install,
    search,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_PAGE",
    "MAX_QUERY_LENGTH",
    "QueryError",
    "Result",
    "SearchResponse",
    "backend",
    "clean",
    "exact_drug_match",
    "install",
    "search",
]
