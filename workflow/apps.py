from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"

    def ready(self):
        # The filing windows' cache is dropped by signals: connected in every process, not only
        # in those that happen to import the module (a management command saving a window).
        from . import periods  # noqa: F401
