from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "审核"

    def ready(self):
        from core import jobs
        from core.models import JobKind

        jobs.register(JobKind.BATCH_DECIDE, "review.services.declaration_batch_run", attempts=3)
        jobs.register(JobKind.CASE_ZIP, "review.services.case_zip_run", attempts=3)
