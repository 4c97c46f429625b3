from django.apps import AppConfig


class HoursConfig(AppConfig):
    name = "hours"
    verbose_name = "学时核认申报"

    def ready(self):
        from accounts.signals import person_moved
        from core import jobs
        from core.models import JobKind

        from . import summary

        person_moved.connect(summary.person_moved, dispatch_uid="hours.summary.person_moved")

        # An import that crashed half-way is not run again behind the uploader's back.
        jobs.register(JobKind.ROSTER_IMPORT, "hours.filings.filing_roster_run", attempts=1)
