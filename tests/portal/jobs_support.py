"""Support for the background-job tests: a real worker run, many declarations at once, and task
queues that refuse."""
import signal
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django_tasks_db.management.commands import db_worker

from hours.models import Declaration
from workflow.models import State
from tests.hours.fixtures_views import FREE_SPANS, at_state


def waiting_declarations(p, n):
    """n declarations of 湖南省地质研究所 waiting at 湖南省人力资源和社会保障厅. The first climbs the
    levels through the workflow; the others are copies of its row written in one bulk insert,
    as seed_synthetic writes its province (the state is set from the start, not changed), each
    for a person of the institute and a span that has no other open declaration."""
    first = at_state(p, State.BUREAU_REVIEW)
    fields = [f for f in Declaration._meta.concrete_fields if not f.primary_key]
    slots = ((person, span) for person in (p.song, p.zhao, p.li, p.chen) for span in FREE_SPANS)
    slots = [slot for slot in slots if slot != (first.applicant, (first.start_year, first.end_year))]
    copies = []
    for i, (person, (start, end)) in zip(range(1, n), slots):
        row = Declaration(**{f.attname: getattr(first, f.attname) for f in fields})
        row.business_no = f"{first.business_no[:8]}B{i:06d}"
        row.applicant, row.name, row.id_number, row.gender = person, person.name, person.id_number, person.gender
        row.start_year, row.end_year = start, end
        copies.append(row)
    assert len(copies) == n - 1, "more declarations than open spans of the institute's people"
    Declaration.objects.bulk_create(copies, batch_size=200)
    return list(Declaration.objects.filter(state=State.BUREAU_REVIEW, current_org=p.hn).order_by("pk"))


def run_worker():
    """`manage.py db_worker --batch`: every ready task, then exit. The command installs its own
    SIGINT/SIGTERM handlers; put pytest's back afterwards. Inside a test's transaction (the
    non-transactional tests), keep the worker from closing the connection between tasks, as
    Django's TestCase keeps requests from doing."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    closer = db_worker.close_old_connections
    if connection.in_atomic_block:
        db_worker.close_old_connections = lambda **kwargs: None
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", "--no-reload", stdout=StringIO(), verbosity=0)
    finally:
        db_worker.close_old_connections = closer
        for s, handler in saved.items():
            signal.signal(s, handler)


class RefusingQueue:
    """A task whose queue is down: every enqueue fails."""
    def enqueue(self, *args):
        raise RuntimeError("任务队列不可用")


def queue_down(job_pk, *, delay=None):
    """core.jobs._enqueue with the queue unreachable."""
    raise ConnectionError("队列不可用")
