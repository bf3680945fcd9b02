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
