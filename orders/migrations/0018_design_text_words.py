"""A GIN index on the words of design nodes' text, for the header search's personalised text
(operations/search.py, WORDS_FIRST): `to_tsvector('simple', text) @@ to_tsquery('simple',
'birthday':* & 'barbara':* & '333334':*)` reads the posting list of the rarest word, where the
trigram index (orders.search_indexes) intersects the long lists of trigrams half the texts share.
PostgreSQL only, built CONCURRENTLY (hence atomic = False); SQLite has nothing to do (its search
scans)."""

from django.db import migrations

NAME = "orders_designnode_text_words"


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{NAME}" ON "orders_designnode" '
        """USING gin (to_tsvector('simple'::regconfig, "text"))"""
    )


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{NAME}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0017_flagged_queue_index"),
    ]

    operations = [migrations.RunPython(index_create, index_drop, elidable=False)]
