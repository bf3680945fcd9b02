"""Full-text product search on SQLite (FTS5) and PostgreSQL (tsvector), ranked.

Migrations 0007 and 0016 keep the search tables in sync with ``product`` by triggers,
so any write path (admin, checkout, seed) is covered. Both engines fold accents away,
so "lavande" finds "Lavandé" and the other way round, and both stem the words of the
index and of the query with Snowball, French text in French and English text in
English, so "savons" finds "Savon" and "candles" finds "candle":

- PostgreSQL stems with its own ``french`` and ``english`` configurations;
- SQLite has no stemmer: its triggers call ``search_stems()``, a function this module
  gives every SQLite connection, which stems with PyStemmer (the same Snowball
  algorithms, in C: a word takes a microsecond, where pure Python took hundreds).

A typed word matches a product when the product holds a word starting with it, or a
word whose stem starts with its stem, so a plural finds all that its singular finds
("cremes" finds "crémeux" as "creme" does). Products holding every typed word as
typed come first, then those holding each typed word or one of the same stem, then
the others, each group by relevance.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

import Stemmer
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

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

# The shop's two languages, by the name Snowball and PostgreSQL give them.
LANGUAGES = ("french", "english")
_stemmers = threading.local()  # PyStemmer's stemmers are not safe to share by threads


def fold(value: str) -> str:
    """Lower-case ``value`` and strip its accents, as the database does."""
    lowered = value.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return lowered.translate(_FOLD_TABLE)


def search_terms(query: str) -> list[str]:
    """The words of a shopper's query, folded, bounded in number and length."""
    words = _TERM.findall(fold(query[:MAX_QUERY_CHARS]))
    return [word[:MAX_TERM_CHARS] for word in words[:MAX_TERMS]]


def stem(word: str, language: str) -> str:
    """The Snowball stem of one folded ``word`` in ``language`` ("french" or
    "english")."""
    stemmers = getattr(_stemmers, "by_language", None)
    if stemmers is None:
        stemmers = {name: Stemmer.Stemmer(name) for name in LANGUAGES}
        _stemmers.by_language = stemmers
    return stemmers[language].stemWord(word)


def index_stems(text_fr: str | None, text_en: str | None) -> str:
    """The stems of a French and an English text, folded, one string: what SQLite
    indexes beside the words themselves (``search_stems()`` in its triggers)."""
    stems = [stem(word, "french") for word in _TERM.findall(fold(text_fr or ""))]
    stems += [stem(word, "english") for word in _TERM.findall(fold(text_en or ""))]
    return " ".join(stems)


@event.listens_for(Engine, "connect")
def _give_sqlite_the_stemmer(dbapi_connection: Any, _record: Any) -> None:
    """The search triggers of migration 0016 call ``search_stems(fr, en)``."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            "search_stems", 2, index_stems, deterministic=True
        )


def _query_stems(term: str) -> set[str]:
    """A typed word's stems: the shopper may write in either language."""
    return {stem(term, language) for language in LANGUAGES}


def _fts5_variants(term: str) -> list[str]:
    """The spellings FTS5 may have indexed for one folded word.

    FTS5 strips accents but keeps the ligatures, so "oeuf" must also look for "œuf".
    """
    return sorted({term, term.replace("oe", "œ"), term.replace("ae", "æ")})


_FTS5_WORDS = "{name_fr name_en description_fr description_en}"
_FTS5_STEMS = "{stems_name stems_description}"

# What a product must hold of each typed word, loosest first: the word or its stem
# as the start of a word or a stem (a match); the word, or its stem, whole (ranked
# second); the word itself (ranked first).
MATCH, SAME_STEM, EXACT = "match", "same_stem", "exact"
_TIERS = {MATCH: (True, True), SAME_STEM: (False, True), EXACT: (False, False)}


def _fts5_query(terms: list[str], tier: str) -> str:
    """An FTS5 query for ``terms`` at one tier of ``_TIERS``."""
    prefix, stems = _TIERS[tier]
    star = "*" if prefix else ""
    parts = []
    for term in terms:
        words = " OR ".join(f'"{variant}"{star}' for variant in _fts5_variants(term))
        part = f"{_FTS5_WORDS}: ({words})"
        if stems:
            stemmed = " OR ".join(f'"{s}"{star}' for s in sorted(_query_stems(term)))
            part = f"({part} OR {_FTS5_STEMS}: ({stemmed}))"
        parts.append(part)
    return " AND ".join(parts)


def _tsquery(terms: list[str], tier: str, params: dict[str, object]) -> str:
    """A tsquery expression for ``terms`` at one tier of ``_TIERS``, its values put
    in ``params``: the words as written carry weights A and B, their stems (by
    PostgreSQL's own stemmers) C and D."""
    prefix, stems = _TIERS[tier]
    star = ":*" if prefix else ":"
    parts = []
    for number, term in enumerate(terms):
        params[f"{tier}_word{number}"] = f"{term}{star}AB"
        alternatives = [f"to_tsquery('simple', :{tier}_word{number})"]
        if stems:
            params[f"{tier}_stem{number}"] = f"{term}{star}CD"
            alternatives += [
                f"to_tsquery('{language}', :{tier}_stem{number})"
                for language in LANGUAGES
            ]
        parts.append("(" + " || ".join(alternatives) + ")")
    return " && ".join(parts)


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

# Relevance weights: a name over a description, the words as written over a stem.
_POSTGRESQL_WEIGHTS = "'{0.05, 0.5, 0.2, 1.0}'"  # D, C, B, A (see migration 0016)
_FTS5_WEIGHTS = "10.0, 10.0, 1.0, 1.0, 5.0, 0.5"  # the columns, in order


def search_products(
    query: str,
    *,
    category_id: int | None,
    offset: int,
    limit: int,
    order: str | None = None,
    locale: str = "fr",
) -> SearchHits:
    """Ids of active products matching every word of ``query`` (as a prefix, or
    its stem as a prefix of a stem), best first, or in the ``order`` asked for (a
    key of ORDERS, or "name")."""
    terms = search_terms(query)
    if not terms:
        return SearchHits([], 0)
    params: dict[str, object] = {"limit": limit, "offset": offset}
    if db.engine.dialect.name == "postgresql":
        tsqueries = ", ".join(
            f"{_tsquery(terms, tier, params)} AS {tier}" for tier in _TIERS
        )
        source = (
            "FROM search_product s JOIN product p ON p.id = s.product_id,"
            f" (SELECT {tsqueries}) q WHERE s.document @@ q.{MATCH} AND p.active"
        )
        rank = (
            f"s.document @@ q.{EXACT} DESC, s.document @@ q.{SAME_STEM} DESC,"
            f" ts_rank_cd({_POSTGRESQL_WEIGHTS}, s.document, q.{MATCH}) DESC"
        )
    else:
        params.update({tier: _fts5_query(terms, tier) for tier in _TIERS})
        source = (
            "FROM fts_product f JOIN product p ON p.id = f.rowid"
            f" WHERE fts_product MATCH :{MATCH} AND p.active"
        )
        rank = ", ".join(
            f"p.id IN (SELECT rowid FROM fts_product WHERE fts_product MATCH :{tier})"
            " DESC"
            for tier in (EXACT, SAME_STEM)
        )
        rank += f", bm25(fts_product, {_FTS5_WEIGHTS})"
    if order == "name":
        rank = f"p.name_{'en' if locale == 'en' else 'fr'}, p.id"
    elif order in ORDERS:
        rank = ORDERS[order]
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
