"""Background tasks of accounts (django-tasks: in-process after the commit with the embedded
backend, by `manage.py db_worker` in production)."""
from django_tasks import task


@task()
def send_reset_code(reset_id):
    from . import services  # services enqueues this task: imported here, not at module level

    return services.reset_code_deliver(reset_id=reset_id)
