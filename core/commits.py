"""Work that follows a commit and must never undo it."""
from django.db import transaction


def after_commit(func, *args, **kwargs):
    """Call func(*args, **kwargs) once the current transaction commits; if it fails, the failure is logged
    and the committed work stands (Django's robust on_commit). Not functools.partial: Django names a
    failed callback by its __qualname__, which a partial lacks, so the failure would escape as an
    AttributeError after the commit, answering 500 for work already saved."""
    def call():
        return func(*args, **kwargs)

    # A task's enqueue is named by its task (Task.enqueue alone says nothing), any other by its own name.
    task = getattr(getattr(func, "__self__", None), "module_path", None)
    call.__qualname__ = f"{task}.{func.__name__}" if task else getattr(func, "__qualname__", None) or repr(func)
    transaction.on_commit(call, robust=True)
