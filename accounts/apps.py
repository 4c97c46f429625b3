from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "人员与单位"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from core import jobs
        from core.models import JobKind

        from . import identity  # noqa: F401 (its receivers)
        from .audit import record_lockout
        from .middleware import session_stamp_login
        from .signin_pace import failed

        user_logged_in.connect(session_stamp_login, dispatch_uid="accounts.session_stamp_login")
        # All or nothing in one transaction: an attempt that failed wrote nothing, but sent no password either.
        jobs.register(JobKind.STAFF_ENROL, "accounts.enrolment.staff_enrol_run", attempts=1)
        user_locked_out.connect(record_lockout, dispatch_uid="accounts.audit.record_lockout")
        user_login_failed.connect(failed, dispatch_uid="accounts.signin_pace.failed")
