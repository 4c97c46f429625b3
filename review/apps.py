from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "审核"

    def ready(self):
        from core import jobs
        from core.models import JobKind
        from hours.models import Declaration
        from workflow import runner

        from . import services

        jobs.register(JobKind.BATCH_DECIDE, "review.services.declaration_batch_run", attempts=3)
        jobs.register(JobKind.CASE_ZIP, "review.services.case_zip_run", attempts=3)
        # 校验: the automatic checks' verdict, kept for the 待办列表 when a declaration arrives at a level.
        runner.on_arrival(Declaration, services.declaration_checks_record)
