"""A cheaper reset after each transactional test (live server, Celery workers, threads).

pytest-django runs such a test as Django's `TransactionTestCase`, whose teardown is `manage.py
flush`: one TRUNCATE of every table (on PostgreSQL a new file per table, ~0.3-0.8 s for this
project's 47 tables on the CI machine) followed by the post_migrate signal (content types,
permissions and the role groups created again, ~0.4 s more). With ~200 such tests that was
about a third of the suite's time.

Here instead: right after the test database is built, the rows it holds (content types,
permissions, role groups, whatever the migrations wrote) are copied into snapshot tables; after
each transactional test every Django table is emptied with DELETE (cheap on the few rows a test
leaves; foreign keys are deferred to the commit) and the snapshot rows are put back. Each test
then starts from the state the migrations left, as one that runs in a rolled-back transaction
does (the same guarantee `serialized_rollback` gives, without its serializer).
"""

from __future__ import annotations

from django.db import connections, transaction
from django.test import TransactionTestCase

SNAPSHOT_PREFIX = "zz_snapshot_"


class Snapshot:
    def __init__(self, alias: str = "default"):
        self.alias = alias
        self.tables: list[str] = []

    @property
    def connection(self):
        return connections[self.alias]

    def _django_tables(self) -> list[str]:
        return sorted(self.connection.introspection.django_table_names(only_existing=True, include_views=False))

    def take(self) -> None:
        quote = self.connection.ops.quote_name
        self.tables = []
        with self.connection.cursor() as cursor:
            for table in self._django_tables():
                cursor.execute(f"DROP TABLE IF EXISTS {quote(SNAPSHOT_PREFIX + table)}")
                cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")  # noqa: S608 - Django's own table names, quoted
                if cursor.fetchone():
                    cursor.execute(f"CREATE TABLE {quote(SNAPSHOT_PREFIX + table)} AS SELECT * FROM {quote(table)}")  # noqa: S608 - Django's own table names, quoted
                    self.tables.append(table)

    def restore(self) -> None:
        quote = self.connection.ops.quote_name
        with transaction.atomic(using=self.alias), self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in self._django_tables():
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 - Django's own table names, quoted
            for table in self.tables:
                cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {quote(SNAPSHOT_PREFIX + table)}")  # noqa: S608 - Django's own table names, quoted
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()


def install(snapshot: Snapshot):
    """Make TransactionTestCase's teardown restore `snapshot`; returns the undo."""
    original = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        if self.available_apps is not None or self.serialized_rollback:
            return original(self)
        for alias in self._databases_names(include_mirrors=False):
            if alias == snapshot.alias:
                snapshot.restore()
            else:
                original(self)
        return None

    TransactionTestCase._fixture_teardown = _fixture_teardown

    def undo():
        TransactionTestCase._fixture_teardown = original

    return undo
