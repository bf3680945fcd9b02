"""The migrations are the only way the schema changes: they must build the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from eshop.extensions import db as _db


def ignore_search_objects(obj, name, type_, reflected, compare_to):
    return not (name and (name.startswith("fts_") or name.startswith("search_")))


def test_migrations_build_exactly_the_models(db):
    """Given every revision applied to an empty database (the suite's own), when the
    result is compared with the models, then nothing differs."""
    with _db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": ignore_search_objects},
        )
        differences = compare_metadata(context, _db.metadata)
    assert differences == []


def test_the_migrations_have_a_single_head(app):
    """Parallel branches must be merged, or ``flask db upgrade`` refuses to run."""
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_after_0009_the_revisions_form_a_single_line(app):
    """From 0009 on, each revision follows exactly one other and is followed by at
    most one: no branch to merge, and the head is the end of that line."""
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
    revisions = {rev.revision: rev for rev in script.walk_revisions()}
    line = ["0009"]
    while True:
        children = [
            rev.revision for rev in revisions.values() if rev.down_revision == line[-1]
        ]
        assert len(children) <= 1, f"{line[-1]} is followed by {children}"
        if not children:
            break
        line.append(children[0])
    after_0009 = {name for name in revisions if name > "0009"}
    assert after_0009 == set(line[1:]), "a revision after 0009 is off the line"
    assert script.get_heads() == [line[-1]]


def test_upgrading_a_shop_with_data_keeps_the_owner_and_cash_orders(tmp_path):
    """Given a shop at revision 0009 with an owner and a cash-on-delivery order
    awaiting payment (which never expired then), when it is upgraded to the head,
    then the owner still logs in (a session stamp of its own) and the order counts
    as confirmed, so ``orders expire`` leaves it alone."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from eshop import create_app
    from tests.conftest import make_config

    url = f"sqlite:///{tmp_path / 'shop-0009.db'}"
    app = create_app(make_config(url, tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="0009")
        with _db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO owner (email, password_hash, password_changed_at,"
                    " created_at) VALUES ('owner@lavande.example', 'x',"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            for number, method in enumerate(["cash_on_delivery", "bank_transfer"]):
                connection.execute(
                    text(
                        "INSERT INTO customer_order (number, public_id, checkout_token,"
                        " status, payment_method, shipping_method, locale,"
                        " subtotal_cents, shipping_cents, total_cents, email,"
                        " full_name, street, postal_code, city, country, created_at)"
                        " VALUES (:number, :number, :number, 'pending_payment',"
                        " :method, 'standard', 'fr', 1000, 690, 1690,"
                        " 'a@example.org', 'A', '1 rue', '84000', 'Avignon', 'FR',"
                        " '2026-01-01 00:00:00')"
                    ),
                    {"number": f"2026-{number}", "method": method},
                )
        upgrade()
        with _db.engine.connect() as connection:
            stamps = connection.execute(text("SELECT session_stamp FROM owner")).all()
            confirmed = dict(
                connection.execute(
                    text("SELECT payment_method, confirmed_at FROM customer_order")
                ).all()
            )
        _db.engine.dispose()
    assert all(len(stamp) == 32 for (stamp,) in stamps)
    assert confirmed["cash_on_delivery"] is not None
    assert confirmed["bank_transfer"] is None
