"""Bulk writing of the seeded rows: COPY on PostgreSQL, bulk_create elsewhere."""
import json
from contextlib import contextmanager

from django.db import connection

INSERT_ROWS = 2000  # rows per INSERT statement (SQLite lowers it to fit its parameter limit)


@contextmanager
def explicit_timestamps(*fields):
    """Let bulk_create write the creation times given here instead of now() (auto_now/auto_now_add)."""
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field, _, _ in saved:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class Writer:
    """Inserts rows given as dicts of attribute names, creation times included as given.

    On PostgreSQL the rows are streamed with COPY (psycopg 3), which is several times faster than
    a multi-row INSERT for the million-row tables; ids that children need are taken from the
    table's sequence first, so they are known before the rows are written. Elsewhere (SQLite) the
    rows go through bulk_create, which returns the ids."""

    def __init__(self, now):
        self.now = now
        self.copy = connection.vendor == "postgresql"

    def reserve_ids(self, model, rows):
        """PostgreSQL: take ids for the rows from the table's sequence and put them in the rows."""
        if not self.copy or not rows:
            return None
        pk = model._meta.pk
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [model._meta.db_table, pk.column, len(rows)])
            ids = [value for (value,) in cursor.fetchall()]
        for row, value in zip(rows, ids):
            row[pk.attname] = value
        return ids

    def insert(self, model, rows, *, ids=False):
        """Write the rows; with ids=True return their ids, in order."""
        if not rows:
            return []
        stamps = [f for f in model._meta.concrete_fields
                  if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        for row in rows:
            for field in stamps:
                row.setdefault(field.attname, self.now)
        if not self.copy:
            objs = [model(**row) for row in rows]
            with explicit_timestamps(*stamps):
                model.objects.bulk_create(objs, batch_size=INSERT_ROWS)
            return [obj.pk for obj in objs]
        pk = model._meta.pk
        if ids and pk.attname not in rows[0]:
            self.reserve_ids(model, rows)
        fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in rows[0]]
        names = [f.attname for f in fields]
        defaults = [f.get_default() for f in fields]
        json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
        qn = connection.ops.quote_name
        sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                values = [row.get(name, default) for name, default in zip(names, defaults)]
                for i in json_at:
                    values[i] = json.dumps(values[i], ensure_ascii=False)
                copy.write_row(values)
        return [row[pk.attname] for row in rows] if ids else []

    def analyze(self, *models):
        """VACUUM ANALYZE what was written, as autovacuum would soon: fresh statistics for the planner,
        and a visibility map so the queues' COUNTs are index-only scans (without it, 40 ms instead of
        3 ms on a million declarations). VACUUM cannot run inside a transaction."""
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        with connection.cursor() as cursor:
            cursor.execute(("VACUUM ANALYZE " if connection.get_autocommit() else "ANALYZE ") + tables)

