"""Stemmed search: the index also holds the French and English stems (issue 15)

"savons" found nothing because only the words as written were indexed. Now:

- SQLite: ``fts_product`` gains two columns, ``stems_name`` and ``stems_description``,
  filled by the triggers with ``search_stems(fr, en)``: the Snowball stems of the
  folded French and English texts. SQLite has no stemmer, so the shop gives that
  function to every connection (eshop/catalog/search.py); an FTS5 table cannot gain
  a column, so the table and its triggers are made again.
- PostgreSQL: the document keeps the folded words (weights A for the names, B for
  the descriptions) and adds their stems, from the ``french`` and ``english``
  configurations, on the folded text as well (C for the names, D for the
  descriptions).

Both rebuild the index of the existing products. The downgrade puts back the index
of 0007, rebuilt as well.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

WORDS = "name_fr, name_en, description_fr, description_en"
STEMS = "stems_name, stems_description"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        refresh_postgresql(STEMMED_DOCUMENT)
    else:
        rebuild_sqlite(stemmed=True)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        refresh_postgresql(WORDS_DOCUMENT)
    else:
        rebuild_sqlite(stemmed=False)


def rebuild_sqlite(stemmed):
    """The FTS5 table and its triggers, made again with or without the stems."""
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS fts_product_{event}")
    op.execute("DROP TABLE IF EXISTS fts_product")
    columns = f"{WORDS}, {STEMS}" if stemmed else WORDS
    op.execute(
        f"CREATE VIRTUAL TABLE fts_product USING fts5({columns},"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )

    def values(row):
        words = f"{row}.name_fr, {row}.name_en, {row}.description_fr, {row}.description_en"
        if not stemmed:
            return words
        return (
            f"{words}, search_stems({row}.name_fr, {row}.name_en),"
            f" search_stems({row}.description_fr, {row}.description_en)"
        )

    insert = f"INSERT INTO fts_product (rowid, {columns}) VALUES (new.id, {values('new')});"
    op.execute(f"CREATE TRIGGER fts_product_insert AFTER INSERT ON product BEGIN {insert} END")
    op.execute(
        f"CREATE TRIGGER fts_product_update AFTER UPDATE OF {WORDS} ON product BEGIN"
        f" DELETE FROM fts_product WHERE rowid = old.id; {insert} END"
    )
    op.execute(
        "CREATE TRIGGER fts_product_delete AFTER DELETE ON product BEGIN"
        " DELETE FROM fts_product WHERE rowid = old.id; END"
    )
    op.execute(
        f"INSERT INTO fts_product (rowid, {columns}) SELECT p.id, {values('p')} FROM product p"
    )


WORDS_DOCUMENT = (
    "setweight(to_tsvector('simple', search_fold({p}.name_fr || ' ' ||"
    " {p}.name_en)), 'A') || setweight(to_tsvector('simple',"
    " search_fold({p}.description_fr || ' ' || {p}.description_en)), 'B')"
)
STEMMED_DOCUMENT = (
    WORDS_DOCUMENT
    + " || setweight(to_tsvector('french', search_fold({p}.name_fr)) ||"
    " to_tsvector('english', search_fold({p}.name_en)), 'C')"
    " || setweight(to_tsvector('french', search_fold({p}.description_fr)) ||"
    " to_tsvector('english', search_fold({p}.description_en)), 'D')"
)


def refresh_postgresql(document):
    """The trigger function of 0007 writing ``document``, and every row rewritten."""
    op.execute(
        "CREATE OR REPLACE FUNCTION search_product_refresh() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN"
        " INSERT INTO search_product (product_id, document)"
        f" VALUES (NEW.id, {document.format(p='NEW')})"
        " ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document;"
        " RETURN NULL; END $$"
    )
    op.execute(
        "INSERT INTO search_product (product_id, document)"
        f" SELECT p.id, {document.format(p='p')} FROM product p"
        " ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document"
    )
