from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_Node

from core.models import AppendOnly

from .validators import gender_from_id_number, normalize_id_number, validate_id_number, validate_phone, validate_uscc


class OrganisationKind(models.TextChoices):
    UNIT = "unit", "用人单位"
    DEPARTMENT = "department", "主管部门"
    BUREAU = "bureau", "人社部门（经办机构）"
    TRAINING_BASE = "training_base", "继续教育基地"


class Nature(models.TextChoices):
    STATE_OWNED = "state_owned", "国有企业"
    PUBLIC_INSTITUTION = "institution", "事业单位"
    GOVERNMENT = "government", "机关"
    NON_PUBLIC = "non_public", "非公有制经济组织"
    SOCIAL = "social", "社会组织"
    CENTRAL = "central", "中央在湘单位"
    OTHER = "other", "其他"


class Organisation(MP_Node):
    """A node of the organisation tree. The tree parent is the superior unit or supervising
    department (主管部门); `bureau` is the HR bureau (经办机构) that finally approves for it."""

    name = models.CharField("单位名称", max_length=100, db_index=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, validators=[validate_uscc])
    kind = models.CharField("机构类别", max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.UNIT)
    nature = models.CharField("单位性质", max_length=20, choices=Nature.choices, default=Nature.PUBLIC_INSTITUTION)
    bureau = models.ForeignKey(
        "self",
        verbose_name="经办机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="jurisdiction",
        limit_choices_to={"kind": OrganisationKind.BUREAU},
        help_text="最终审核本单位人员学时的人社部门",
    )
    region = models.CharField("统筹区", max_length=50, blank=True)
    contact_name = models.CharField("经办人", max_length=50, blank=True)
    contact_phone = models.CharField("经办人手机号", max_length=20, blank=True, validators=[validate_phone])
    is_active = models.BooleanField("启用", default=True)

    node_order_by = None

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        constraints = [
            models.CheckConstraint(
                name="organisation_non_bureau_has_bureau",
                condition=Q(kind=OrganisationKind.BUREAU) | Q(bureau__isnull=False),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        self.uscc = (self.uscc or "").strip().upper()
        if self.kind != OrganisationKind.BUREAU and self.bureau_id is None:
            raise ValidationError({"bureau": "请选择经办机构（审核本单位学时的人社部门）。"})
        if self.bureau_id and self.bureau.kind != OrganisationKind.BUREAU:
            raise ValidationError({"bureau": "经办机构必须是人社部门。"})
        if self.kind == OrganisationKind.BUREAU and self.bureau_id:
            raise ValidationError({"bureau": "人社部门本身不需要经办机构。"})

    @property
    def is_bureau(self):
        return self.kind == OrganisationKind.BUREAU

    def approving_bureau(self):
        return self if self.is_bureau else self.bureau

    def contains(self, other):
        """Whether `other` is this organisation or lies below it."""
        return other.path.startswith(self.path)


# Containment as queryset filters (indexed prefix look-ups on the materialised paths), through the
# relation `unit` of the rows filtered, or on Organisation rows themselves. Who may do what with
# them is workflow/jurisdiction.py's.


def _through(unit, lookup):
    return f"{unit}__{lookup}" if unit else lookup


def within_q(org, unit=None):
    """Organisations that are `org` or lie below it."""
    return Q(**{_through(unit, "path__startswith"): org.path})


def bureau_area_q(bureau, unit=None):
    """Organisations that `bureau` finally approves for, with those of the city bureaus below it."""
    return Q(**{_through(unit, "bureau__path__startswith"): bureau.path, _through(unit, "bureau__kind"): OrganisationKind.BUREAU})


class Gender(models.TextChoices):
    MALE = "男", "男"
    FEMALE = "女", "女"


ETHNIC_GROUPS = [
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族",
    "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族",
    "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族",
    "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族",
    "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
]


class Education(models.TextChoices):
    DOCTOR = "博士研究生", "博士研究生"
    MASTER = "硕士研究生", "硕士研究生"
    BACHELOR = "大学本科", "大学本科"
    COLLEGE = "大学专科", "大学专科"
    SECONDARY = "中专", "中专"
    HIGH_SCHOOL = "高中及以下", "高中及以下"


class User(AbstractUser):
    """A person with real-name data. Applicants sign in with 证件号码; staff accounts may
    also have a username of their own."""

    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField(
        "证件号码", max_length=18, unique=True, null=True, blank=True, validators=[validate_id_number]
    )
    gender = models.CharField("性别", max_length=2, choices=Gender.choices, blank=True)
    ethnicity = models.CharField("民族", max_length=10, choices=[(e, e) for e in ETHNIC_GROUPS], blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_phone])
    education = models.CharField("最高学历", max_length=10, choices=Education.choices, blank=True)
    title = models.CharField("职称", max_length=30, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name="工作单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text="经单位确认的当前工作单位",
    )
    # Set when someone else chose the password (a unit administrator's reset, 批量导入人员): the
    # next sign-in goes to 修改密码 before any other page.
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    objects = UserManager()
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.name or self.username

    def clean(self):
        super().clean()
        if self.id_number:
            self.id_number = normalize_id_number(self.id_number)
            if not self.gender:
                self.gender = gender_from_id_number(self.id_number)

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name


class Role(models.TextChoices):
    APPLICANT = "applicant", "专业技术人员"
    UNIT_ADMIN = "unit_admin", "用人单位管理员"
    DEPT_ADMIN = "dept_admin", "主管部门/上级单位管理员"
    BUREAU_CLERK = "bureau_clerk", "人社部门经办人"
    SYSADMIN = "sysadmin", "系统管理员"


ROLES_WITH_ORGANISATION = (Role.BUREAU_CLERK, Role.DEPT_ADMIN, Role.UNIT_ADMIN)


class RoleGrant(models.Model):
    """One role a person holds; administrative roles are held for one organisation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属机构", null=True, blank=True, on_delete=models.PROTECT, related_name="role_grants"
    )
    granted_at = models.DateTimeField("授予时间", auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="授予人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "organisation"], name="rolegrant_unique"),
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(organisation__isnull=True), name="rolegrant_unique_without_org"
            ),
            models.CheckConstraint(
                name="rolegrant_org_matches_role",
                condition=(Q(role__in=[r.value for r in ROLES_WITH_ORGANISATION]) & Q(organisation__isnull=False))
                | (~Q(role__in=[r.value for r in ROLES_WITH_ORGANISATION]) & Q(organisation__isnull=True)),
            ),
        ]

    def __str__(self):
        if self.organisation_id:
            return f"{self.get_role_display()}（{self.organisation}）"
        return self.get_role_display()

    def clean(self):
        super().clean()
        if self.role in ROLES_WITH_ORGANISATION and not self.organisation_id:
            raise ValidationError({"organisation": "该角色必须指定所属机构。"})
        if self.role not in ROLES_WITH_ORGANISATION and self.organisation_id:
            raise ValidationError({"organisation": "该角色不属于某个机构，请留空。"})
        if self.role == Role.BUREAU_CLERK and self.organisation_id and not self.organisation.is_bureau:
            raise ValidationError({"organisation": "人社部门经办人必须属于人社部门。"})


class MembershipStatus(models.TextChoices):
    PENDING = "pending", "待单位确认"
    ACTIVE = "active", "已确认"
    REJECTED = "rejected", "单位未通过"
    ENDED = "ended", "已调离"


class Membership(models.Model):
    """A person's belonging to a unit, confirmed by the unit's administrator. Kept after a
    move, so a person's history of units stays with them."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, verbose_name="单位", on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField("状态", max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.PENDING)
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField("不通过原因", max_length=200, blank=True)
    ended_at = models.DateTimeField("调离时间", null=True, blank=True)

    class Meta:
        verbose_name = "单位人员关系"
        verbose_name_plural = "单位人员关系"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="pending"), name="membership_one_pending_per_person"
            ),
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="active"), name="membership_one_active_per_person"
            ),
        ]

    def __str__(self):
        return f"{self.person} @ {self.organisation}（{self.get_status_display()}）"

    @property
    def is_pending(self):
        return self.status == MembershipStatus.PENDING

    @property
    def is_rejected(self):
        return self.status == MembershipStatus.REJECTED


class AccountAction(models.TextChoices):
    MEMBERSHIP_CONFIRM = "membership_confirm", "确认单位人员"
    MEMBERSHIP_REJECT = "membership_reject", "单位人员不通过"
    ROLE_GRANT = "role_grant", "授予角色"
    ROLE_REMOVE = "role_remove", "取消角色"
    PASSWORD_CODE_SENT = "password_code_sent", "发送找回密码验证码"
    PASSWORD_RESET_SELF = "password_reset_self", "自助找回密码"
    PASSWORD_RESET_BY_ADMIN = "password_reset_admin", "管理员重置密码"
    PASSWORD_CHANGE = "password_change", "修改密码"
    STAFF_ENROL = "staff_enrol", "批量导入人员"
    LOCKOUT = "lockout", "登录锁定"
    SECOND_FACTOR_BIND = "otp_bind", "绑定身份验证器"
    SECOND_FACTOR_REMOVE = "otp_remove", "解除身份验证器"
    API_KEY_CREATE = "api_key_create", "创建接口密钥"
    API_KEY_REVOKE = "api_key_revoke", "停用接口密钥"


class AccountEvent(AppendOnly, models.Model):
    """One entry of the accounts' audit trail (accounts/audit.py records it): who did what to which
    account, for which organisation, when and from where. Append-only: nobody changes or deletes it."""

    record_noun = "账户操作记录"

    action = models.CharField("操作", max_length=24, choices=AccountAction.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="空表示本人未登录时的操作（如自助找回密码）或系统",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="所涉账户", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="所涉单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip_address = models.GenericIPAddressField("IP地址", null=True, blank=True)
    details = models.JSONField("补充信息", default=dict, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "账户操作记录"
        verbose_name_plural = "账户操作记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "created_at"]), models.Index(fields=["actor", "created_at"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"



class ResetChannel(models.TextChoices):
    SMS = "sms", "短信"
    EMAIL = "email", "电子邮箱"


class PasswordResetCode(models.Model):
    """One 找回密码 code sent to the mobile or e-mail on file. The code is never stored: it is derived
    from `seed` with the SECRET_KEY (accounts.services.reset_code), so that the background task
    sending it needs no code in its queued arguments, and the database alone gives no code. It dies
    when used, at `expires_at`, or after PASSWORD_RESET_MAX_FAILURES wrong tries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_reset_codes")
    seed = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=8, choices=ResetChannel.choices)

    class Meta:
        verbose_name = "找回密码验证码"
        verbose_name_plural = "找回密码验证码"
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
