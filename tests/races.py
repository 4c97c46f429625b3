"""Requests that arrive at the same moment, in real threads with their own database connections:
what every race test shares. Such a test needs committed data (django_db(transaction=True)) and
a database that queues writers: the `writers_queue` fixture in tests/conftest.py, or, for a race
only PostgreSQL makes real (row locks), on_postgresql() below.

- in_threads(): run calls at once and fail the test if any raised or hung;
- at_once(): each call reads its objects as its request would, then all act together;
- together() / inserts_together(): make a service, or the insert of a new row, wait for the other
  request, so that both have passed every check before either writes;
- post_at_once(): the same, through signed-in test clients."""
import threading

import pytest
from django.db import connection
from django.test import Client


def on_postgresql(why=None):
    """The marks of a race test module only PostgreSQL makes real: committed data, and the
    `postgres` mark, which skips it on SQLite saying `why` (row locks unless told; tests/conftest.py)."""
    return [pytest.mark.postgres(why) if why else pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_threads(*calls, barrier=None):
    """Each call in its own thread and database connection; their results, in order. A call that
    raises fails the test with what it raised, after aborting `barrier` (the one the calls wait
    at), so that the others do not wait in vain."""
    results = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = ("ok", call())
        except BaseException as exc:  # noqa: BLE001 - reported in the assertion below
            results[index] = ("error", repr(exc))
            if barrier is not None:
                barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert all(r and r[0] == "ok" for r in results), results
    return [r[1] for r in results]


def at_once(*calls, refused=(), reason=None):
    """Each call reads what its request would (its objects, freshly) and returns the action to run;
    all actions then run at the same moment. Per call ("ok", what the action returned) or, when it
    raised one of `refused`, ("refused", reason(exception))."""
    barrier = threading.Barrier(len(calls))

    def attempt(call):
        def run():
            action = call()  # the request reads its objects…
            barrier.wait(timeout=10)  # …then all of them act at once
            try:
                return "ok", action()
            except refused as exc:
                return "refused", reason(exc)

        return run

    return in_threads(*map(attempt, calls), barrier=barrier)


def together(monkeypatch, owner, *names, when=None):
    """The named callables of `owner` (a module's services, a model's save) wait for each other
    — for the calls `when(*args, **kwargs)` picks, all unless told — so that two requests have
    both got that far before either goes on. The barrier, for in_threads."""
    barrier = threading.Barrier(2)
    for name in names:
        real = getattr(owner, name)

        def waiting(*args, _real=real, **kwargs):
            if when is None or when(*args, **kwargs):
                barrier.wait(timeout=10)
            return _real(*args, **kwargs)

        monkeypatch.setattr(owner, name, waiting)
    return barrier


def inserts_together(monkeypatch, model):
    """Both requests have passed every check (looked for the row and found none): now both insert."""
    return together(monkeypatch, model, "save", when=lambda obj, *args, **kwargs: obj._state.adding)


def post_at_once(barrier, user, *urls_and_data):
    """Each (url, data) posted by its own client, signed in as `user`, in its own thread; the
    clients and their responses, every one of them a redirect (a form's answer, never a 500)."""
    clients = [Client() for _ in urls_and_data]

    def post(client, url, data):
        def run():
            client.force_login(user)
            return client.post(url, data)

        return run

    answers = in_threads(*(post(c, url, data) for c, (url, data) in zip(clients, urls_and_data)), barrier=barrier)
    assert all(a.status_code == 302 for a in answers), answers
    return clients, answers
