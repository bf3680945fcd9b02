"""Full-text product search on SQLite (FTS5) and PostgreSQL (tsvector), ranked.

Migration 0007 keeps the search tables in sync with ``product`` by triggers, so any
write path (admin, checkout, seed) is covered. Both engines fold accents away, so
"lavande" finds "Lavandé" and the other way round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text

from eshop.extensions import db

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_TERM_CHARS = 40

# The same folding as the ``search_fold`` SQL function of migration 0007.
_ACCENTED = (
    "àáâãäåāăąçćĉčďđèéêëēĕėęěĝğġģĥìíîïĩīĭįıĵķĺļ"
    "ľłñńņňòóôõöøōŏőŕŗřśŝşšţťŧùúûüũūŭůűųŵýÿŷźżž"
)
_PLAIN = (
    "aaaaaaaaaccccddeeeeeeeeegggghiiiiiiiiijkll"
    "llnnnnooooooooorrrsssstttuuuuuuuuuuwyyyzzz"
)
_FOLD_TABLE = str.maketrans(_ACCENTED, _PLAIN)
_TERM = re.compile(r"[^\W_]+")


def fold(value: str) -> str:
    """Lower-case ``value`` and strip its accents, as the database does."""
    lowered = value.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return lowered.translate(_FOLD_TABLE)


def search_terms(query: str) -> list[str]:
    """The words of a shopper's query, folded, bounded in number and length."""
    words = _TERM.findall(fold(query[:MAX_QUERY_CHARS]))
    return [word[:MAX_TERM_CHARS] for word in words[:MAX_TERMS]]


def _fts5_term(term: str) -> str:
    """An FTS5 prefix query for one folded word.

    FTS5 strips accents but keeps the ligatures, so "oeuf" must also look for "œuf".
    """
    variants = {term, term.replace("oe", "œ"), term.replace("ae", "æ")}
    return "(" + " OR ".join(f'"{variant}"*' for variant in sorted(variants)) + ")"


@dataclass(frozen=True)
class SearchHits:
    """One page of matching product ids, best first, and how many match in all."""

    product_ids: list[int]
    total: int


# Orders a shopper may pick instead of relevance (whitelisted SQL, never user text).
ORDERS = {
    "price_asc": "p.price_cents, p.id",
    "price_desc": "p.price_cents DESC, p.id DESC",
    "newest": "p.created_at DESC, p.id DESC",
}


def search_products(
    query: str,
    *,
    category_id: int | None,
    offset: int,
    limit: int,
    order: str | None = None,
    locale: str = "fr",
) -> SearchHits:
    """Ids of active products matching every word of ``query`` (as prefixes), best
    first, or in the ``order`` asked for (a key of ORDERS, or "name")."""
    terms = search_terms(query)
    if not terms:
        return SearchHits([], 0)
    if db.engine.dialect.name == "postgresql":
        match = " & ".join(f"{term}:*" for term in terms)
        source = (
            "FROM search_product s JOIN product p ON p.id = s.product_id,"
            " to_tsquery('simple', :match) q"
            " WHERE s.document @@ q AND p.active"
        )
        rank = "ts_rank_cd(s.document, q) DESC"
    else:
        match = " AND ".join(_fts5_term(term) for term in terms)
        source = (
            "FROM fts_product f JOIN product p ON p.id = f.rowid"
            " WHERE fts_product MATCH :match AND p.active"
        )
        rank = "bm25(fts_product, 10.0, 10.0, 1.0, 1.0)"
    if order == "name":
        rank = f"p.name_{'en' if locale == 'en' else 'fr'}, p.id"
    elif order in ORDERS:
        rank = ORDERS[order]
    params: dict[str, object] = {"match": match, "limit": limit, "offset": offset}
    if category_id is not None:
        source += " AND p.category_id = :category_id"
        params["category_id"] = category_id
    total = db.session.execute(text(f"SELECT count(*) {source}"), params).scalar_one()
    if total == 0 or offset >= total:
        return SearchHits([], total)
    rows = db.session.execute(
        text(f"SELECT p.id {source} ORDER BY {rank}, p.id LIMIT :limit OFFSET :offset"),
        params,
    )
    return SearchHits([row[0] for row in rows], total)
