from django.db import migrations

OLD, NEW = "portal.jobs.run_job", "core.jobs.run_job"


def rename(old, new):
    def run(apps, schema_editor):
        """A job queued (or waiting to be retried) before the upgrade names its task by import path:
        the worker must find it where the code now lives."""
        apps.get_model("django_tasks_database", "DBTaskResult").objects.filter(task_path=old).update(task_path=new)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_move_job"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(rename(OLD, NEW), rename(NEW, OLD))]
