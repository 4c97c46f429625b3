from django.apps import AppConfig


class HoursConfig(AppConfig):
    name = "hours"
    verbose_name = "学时核认申报"

    def ready(self):
        from core import jobs
        from core.models import JobKind

        # An import that crashed half-way is not run again behind the uploader's back.
        jobs.register(JobKind.ROSTER_IMPORT, "hours.filings.filing_roster_run", attempts=1)
