"""catalogue search and catalogue stamp

Full-text search on both databases, kept in sync by triggers, and a stamp that
changes on every catalogue write so each process can tell its caches are stale
without writing anything on a GET.

- SQLite: an FTS5 table ``fts_product`` (unicode61, diacritics removed), one row per
  product (rowid = product.id).
- PostgreSQL: ``search_product`` (product_id, tsvector) with a GIN index; the text is
  folded by ``search_fold`` (lower case, accents removed with translate(), because
  ``CREATE EXTENSION unaccent`` needs a superuser).
- Both: ``search_catalog_stamp`` (one row) bumped by triggers on product, category and
  product_image. On PostgreSQL the bump is a deferred constraint trigger, so the row
  is locked only at commit and concurrent checkouts cannot deadlock on it.

Also indexes on product for the storefront's sorts and the sponsored block.

Every search object is named ``fts_*`` or ``search_*``, which the model comparison ignores.

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None

ACCENTED = "àáâãäåāăąçćĉčďđèéêëēĕėęěĝğġģĥìíîïĩīĭįıĵķĺļľłñńņňòóôõöøōŏőŕŗřśŝşšţťŧùúûüũūŭůűųŵýÿŷźżž"
PLAIN = "aaaaaaaaaccccddeeeeeeeeegggghiiiiiiiiijkllllnnnnooooooooorrrsssstttuuuuuuuuuuwyyyzzz"
STAMPED_TABLES = ("product", "category", "product_image")


INDEXES = {
    "ix_product_sponsored": ["sponsored"],
    "ix_product_active_name_fr": ["active", "name_fr"],
    "ix_product_active_name_en": ["active", "name_en"],
    "ix_product_active_price": ["active", "price_cents"],
    "ix_product_active_created": ["active", "created_at"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "product", columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        upgrade_postgresql()
    else:
        upgrade_sqlite()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in STAMPED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS search_stamp_{table} ON {table}")
        op.execute("DROP TRIGGER IF EXISTS search_product_sync ON product")
        op.execute("DROP FUNCTION IF EXISTS search_bump_stamp()")
        op.execute("DROP FUNCTION IF EXISTS search_product_refresh()")
        op.execute("DROP TABLE IF EXISTS search_product")
        op.execute("DROP FUNCTION IF EXISTS search_fold(text)")
    else:
        for table in STAMPED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS search_stamp_{table}_{event}")
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS fts_product_{event}")
        op.execute("DROP TABLE IF EXISTS fts_product")
    op.execute("DROP TABLE IF EXISTS search_catalog_stamp")
    for name in INDEXES:
        op.drop_index(name, table_name="product")


def create_stamp_table():
    op.execute(
        "CREATE TABLE search_catalog_stamp ("
        " id INTEGER PRIMARY KEY, revision BIGINT NOT NULL)"
    )
    op.execute("INSERT INTO search_catalog_stamp (id, revision) VALUES (1, 1)")


def upgrade_sqlite():
    create_stamp_table()
    op.execute(
        "CREATE VIRTUAL TABLE fts_product USING fts5("
        " name_fr, name_en, description_fr, description_en,"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )
    columns = "name_fr, name_en, description_fr, description_en"
    new_values = "new.name_fr, new.name_en, new.description_fr, new.description_en"
    op.execute(
        "CREATE TRIGGER fts_product_insert AFTER INSERT ON product BEGIN"
        f" INSERT INTO fts_product (rowid, {columns}) VALUES (new.id, {new_values});"
        " END"
    )
    op.execute(
        f"CREATE TRIGGER fts_product_update AFTER UPDATE OF {columns} ON product BEGIN"
        " DELETE FROM fts_product WHERE rowid = old.id;"
        f" INSERT INTO fts_product (rowid, {columns}) VALUES (new.id, {new_values});"
        " END"
    )
    op.execute(
        "CREATE TRIGGER fts_product_delete AFTER DELETE ON product BEGIN"
        " DELETE FROM fts_product WHERE rowid = old.id;"
        " END"
    )
    op.execute(
        f"INSERT INTO fts_product (rowid, {columns}) SELECT id, {columns} FROM product"
    )
    bump = (
        "INSERT INTO search_catalog_stamp (id, revision) VALUES (1, 1)"
        " ON CONFLICT (id) DO UPDATE SET revision = revision + 1;"
    )
    for table in STAMPED_TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER search_stamp_{table}_{event}"
                f" AFTER {event.upper()} ON {table} BEGIN {bump} END"
            )


def upgrade_postgresql():
    create_stamp_table()
    op.execute(
        "CREATE FUNCTION search_fold(value text) RETURNS text"
        " LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$"
        " SELECT translate(replace(replace(replace(lower(value), 'œ', 'oe'),"
        f" 'æ', 'ae'), 'ß', 'ss'), '{ACCENTED}', '{PLAIN}') $$"
    )
    op.execute(
        "CREATE TABLE search_product ("
        " product_id INTEGER PRIMARY KEY REFERENCES product (id) ON DELETE CASCADE,"
        " document tsvector NOT NULL)"
    )
    op.execute(
        "CREATE INDEX search_product_document ON search_product USING gin (document)"
    )
    document = (
        "setweight(to_tsvector('simple', search_fold({p}.name_fr || ' ' ||"
        " {p}.name_en)), 'A') || setweight(to_tsvector('simple',"
        " search_fold({p}.description_fr || ' ' || {p}.description_en)), 'B')"
    )
    op.execute(
        "CREATE FUNCTION search_product_refresh() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN"
        " INSERT INTO search_product (product_id, document)"
        f" VALUES (NEW.id, {document.format(p='NEW')})"
        " ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document;"
        " RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER search_product_sync AFTER INSERT OR UPDATE OF"
        " name_fr, name_en, description_fr, description_en ON product"
        " FOR EACH ROW EXECUTE FUNCTION search_product_refresh()"
    )
    op.execute(
        "INSERT INTO search_product (product_id, document)"
        f" SELECT p.id, {document.format(p='p')} FROM product p"
    )
    # Bumped once per transaction, at commit (deferred), after every row lock the
    # transaction takes: no lock-order cycle with concurrent stock updates.
    op.execute(
        "CREATE FUNCTION search_bump_stamp() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN"
        " IF current_setting('lavande.stamp_bumped', true) = 'yes' THEN"
        " RETURN NULL; END IF;"
        " PERFORM set_config('lavande.stamp_bumped', 'yes', true);"
        " INSERT INTO search_catalog_stamp (id, revision) VALUES (1, 1)"
        " ON CONFLICT (id) DO UPDATE"
        " SET revision = search_catalog_stamp.revision + 1;"
        " RETURN NULL; END $$"
    )
    for table in STAMPED_TABLES:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER search_stamp_{table}"
            f" AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " DEFERRABLE INITIALLY DEFERRED"
            " FOR EACH ROW EXECUTE FUNCTION search_bump_stamp()"
        )
