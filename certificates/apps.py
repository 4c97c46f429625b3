from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "学时认定单"

    def ready(self):
        from core import jobs, storage
        from core.models import JobKind
        from hours.signals import years_revoked

        from .services import certificates_revoke

        from .signing import signing_dir

        storage.protect(signing_dir)  # the seal keys
        years_revoked.connect(certificates_revoke, dispatch_uid="certificates.revoke")

        jobs.register(JobKind.CERTIFICATE_RENDER, "certificates.services.certificate_render_run", attempts=3)
