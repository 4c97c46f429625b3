"""学时认定单: a certificate of approved hours for a span of years, issued once as a signed PDF and
kept unchanged. A later issue for the same span with different hours supersedes it; a bureau's
撤销认定 of hours it states revokes it (hours.signals.years_revoked, certificates.services)."""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import AppendOnly

from hours.models import RevocationReason


def certificate_upload_to(instance, filename):
    """Server-made names only, outside any public URL: files are served by a permission-checked view."""
    return f"certificates/{instance.issued_at:%Y}/{uuid.uuid4().hex}.pdf"


class CertificateStatus(models.TextChoices):
    CURRENT = "current", "有效"
    SUPERSEDED = "superseded", "已被替代"
    REVOKED = "revoked", "已撤销"


class Certificate(models.Model):
    number = models.CharField("认定单编号", max_length=24, unique=True)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申报人", on_delete=models.PROTECT, related_name="certificates")
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name="工作单位", on_delete=models.PROTECT, related_name="+",
        help_text="出具时最近一次审核通过的申报所在单位",
    )
    bureau = models.ForeignKey(
        "accounts.Organisation", verbose_name="出具机关", on_delete=models.PROTECT, related_name="issued_certificates"
    )
    start_year = models.PositiveSmallIntegerField("起始年度")
    end_year = models.PositiveSmallIntegerField("终止年度")
    status = models.CharField("状态", max_length=12, choices=CertificateStatus.choices, default=CertificateStatus.CURRENT)
    superseded_by = models.ForeignKey(
        "self", verbose_name="替代它的认定单", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )
    superseded_at = models.DateTimeField("替代时间", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_reason = models.CharField("撤销原因类别", max_length=20, choices=RevocationReason.choices, blank=True)
    # What was printed, kept as issued: the verification page and the bulk endpoint answer from it.
    facts = models.JSONField("出具内容")
    # SHA-256 of the hours and personal data the certificate states: the same span asked for again
    # with an unchanged fingerprint gives back the same certificate (and the same file).
    fingerprint = models.CharField("内容指纹", max_length=64)
    verify_url = models.CharField("查验地址", max_length=300)
    pdf = models.FileField("PDF 文件", upload_to=certificate_upload_to, max_length=200)
    sha256 = models.CharField("文件 SHA-256", max_length=64, unique=True)
    size = models.PositiveIntegerField("文件大小")
    signer = models.CharField("签章证书", max_length=300, blank=True)
    issued_at = models.DateTimeField("出具时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "学时认定单"
        verbose_name_plural = "学时认定单"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["applicant", "start_year", "end_year"], name="cert_applicant_span")]
        constraints = [
            models.CheckConstraint(name="certificate_span_ordered", condition=Q(start_year__lte=models.F("end_year"))),
            # One current certificate per person and span: issuing a new one first supersedes the old.
            models.UniqueConstraint(
                fields=["applicant", "start_year", "end_year"], condition=Q(status="current"), name="certificate_one_current_per_span"
            ),
            models.CheckConstraint(
                name="certificate_current_has_no_successor",
                condition=Q(status="superseded") | Q(superseded_by__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.start_year}–{self.end_year}"

    @property
    def is_current(self):
        return self.status == CertificateStatus.CURRENT

    @property
    def is_revoked(self):
        return self.status == CertificateStatus.REVOKED

    def save(self, *args, **kwargs):
        # Issued once, never changed: superseding and revoking update status fields with a queryset update.
        if not self._state.adding:
            raise ValueError("认定单出具后不能修改。")
        super().save(*args, **kwargs)


class EventAction(models.TextChoices):
    ISSUE = "issue", "出具"
    SUPERSEDE = "supersede", "被替代"
    REVOKE = "revoke", "撤销"
    DOWNLOAD = "download", "下载"


class CertificateEvent(AppendOnly, models.Model):
    """Append-only log of what happened to a certificate, who did it and from where."""

    record_noun = "认定单记录"

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("操作", max_length=12, choices=EventAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    details = models.JSONField("补充信息", default=dict, blank=True)
    ip_address = models.GenericIPAddressField("IP地址", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "认定单记录"
        verbose_name_plural = "认定单记录"
        ordering = ["created_at", "id"]

