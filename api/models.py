from django.conf import settings
from django.db import models

from accounts.models import OrganisationKind
from hours.models import ItemSource

SUBJECTS = (("public", "公需科目"), ("professional", "专业科目"))
# What a key's records count as (rules: the rule set's `sources` says which are recognised as sent).
KEY_SOURCES = [(s.value, s.label) for s in (ItemSource.PLATFORM, ItemSource.TRAINING_BASE, ItemSource.OTHER_PLATFORM)]


class ApiKey(models.Model):
    """A training platform's or base's key. Only a hash is stored: the key itself is shown once, to
    the clerk who made it. The client is the organisation: its records' ids are one namespace
    whichever of its keys sent them."""

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name="培训机构", on_delete=models.PROTECT, related_name="api_keys",
        limit_choices_to={"kind": OrganisationKind.TRAINING_BASE},
    )
    name = models.CharField("密钥名称", max_length=100)
    prefix = models.CharField("密钥前缀", max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    subjects = models.JSONField("可报送科目", default=list)
    bureau = models.ForeignKey(
        "accounts.Organisation", verbose_name="报送辖区", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", limit_choices_to={"kind": OrganisationKind.BUREAU},
        help_text="只能报送该人社部门管辖单位人员的记录；空为全省",
    )
    source = models.CharField("来源类别", max_length=20, choices=KEY_SOURCES, default=ItemSource.TRAINING_BASE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="停用人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "接口密钥"
        verbose_name_plural = "接口密钥"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.organisation.name}·{self.name}（{self.prefix}…）"

    @property
    def is_active(self):
        return self.revoked_at is None

    @property
    def subject_labels(self):
        labels = dict(SUBJECTS)
        return "、".join(labels[s] for s in self.subjects)

    def may_report(self, subject):
        return subject in self.subjects
