import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from django_fsm import transition

from core.models import AppendOnly
from workflow.models import OPEN_STATES, AbstractReviewStep, Reviewable, State

HOURS = {"max_digits": 7, "decimal_places": 1, "default": Decimal("0")}


class RuleSet(models.Model):
    """A region's conversion table for a year (e.g. hunan-2024), stored as the JSON the pure
    engine in hours/rules reads. Editable in the admin; every change is kept in RuleSetChange."""

    code = models.SlugField("规则编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    region = models.CharField("地区", max_length=20)
    year = models.PositiveIntegerField("年度")
    data = models.JSONField("规则数据")
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "学时折算规则"
        verbose_name_plural = "学时折算规则"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class RuleSetChange(models.Model):
    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField("修改时间", auto_now_add=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "规则修改记录"
        verbose_name_plural = "规则修改记录"
        ordering = ["-changed_at", "-id"]


class Declaration(Reviewable):
    """学时核认申报: one applicant's hours for a span of years, reviewed level by level."""

    business_no = models.CharField("业务编号", max_length=20, unique=True, null=True, blank=True)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申报人", on_delete=models.PROTECT, related_name="declarations")
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="代为申报人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey("accounts.Organisation", verbose_name="单位名称", on_delete=models.PROTECT, related_name="declarations")
    rule_set = models.ForeignKey(RuleSet, verbose_name="适用规则", on_delete=models.PROTECT, related_name="+")
    # The applicant's data as declared (step 6): kept with the declaration, so later profile edits do not rewrite it.
    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("证件号码", max_length=18, db_index=True)
    gender = models.CharField("性别", max_length=2)
    ethnicity = models.CharField("民族", max_length=10)
    phone = models.CharField("联系电话", max_length=20)
    education = models.CharField("最高学历", max_length=10)
    title_sought = models.CharField("拟申报职称", max_length=20)
    category = models.CharField("申报大类", max_length=30)
    specialty = models.CharField("子专业名称", max_length=50)
    remark = models.CharField("备注", max_length=500, blank=True)
    start_year = models.PositiveSmallIntegerField("起始年度")
    end_year = models.PositiveSmallIntegerField("终止年度")
    total_public = models.DecimalField("公需科目学时", **HOURS)
    total_professional = models.DecimalField("专业科目学时", **HOURS)
    pledged_at = models.DateTimeField("承诺时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="人社部门接手办理该申报的经办人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # 校验: the reviewers' automatic checks (review/checks.py automatic_checks) as last run, for
    # the 待办列表's column and its filter 校验全部通过. Run after the declaration arrives at a level
    # and again by every batch decision; a verdict older than the arrival (checked_at before
    # waiting_since) is no verdict. See review/services.py declaration_checks_record.
    checks_failed = models.PositiveSmallIntegerField("未通过的校验项数", null=True, blank=True, editable=False)
    checks_summary = models.CharField("未通过的校验项", max_length=200, blank=True, editable=False)
    checked_at = models.DateTimeField("校验时间", null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self", verbose_name="重复于", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="“同一年度只能有一份未审核通过的申报”之前已重复的申报，指向保留的那一份（迁移 hours 0016 所标）",
    )

    class Meta:
        verbose_name = "学时核认申报"
        verbose_name_plural = "学时核认申报"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "current_org", "waiting_since"], name="decl_queue"),
            models.Index(fields=["applicant", "state"], name="decl_applicant"),
            models.Index(fields=["organisation", "state"], name="decl_org"),
        ]
        constraints = [
            models.CheckConstraint(name="declaration_span_ordered", condition=Q(start_year__lte=models.F("end_year"))),
            # One open declaration per person and span (a double click, the back button, a unit
            # declaring for someone who already has): the one open is edited, sent again or
            # withdrawn. After approval the span may be declared again; other spans may overlap.
            models.UniqueConstraint(
                fields=["applicant", "start_year", "end_year"], condition=Q(state__in=OPEN_STATES, duplicate_of__isnull=True),
                name="declaration_one_open_per_span",
            ),
        ]

    def __str__(self):
        return f"{self.business_no or '未编号'} {self.name} {self.start_year}–{self.end_year}"

    def is_own(self, user):
        return self.applicant_id == user.pk

    @property
    def total_hours(self):
        return self.total_public + self.total_professional

    @property
    def checks_passed(self):
        """The 校验 verdict at the level the declaration waits at: True (every blocking check
        passed), False (some failed: checks_summary names them), None (not run there yet)."""
        if self.checks_failed is None or self.checked_at is None or self.waiting_since is None:
            return None
        if self.checked_at < self.waiting_since:
            return None
        return self.checks_failed == 0

    @property
    def years(self):
        return range(self.start_year, self.end_year + 1)

    @property
    def years_label(self):
        """2022, or 2019–2023 for a span."""
        if self.start_year == self.end_year:
            return str(self.start_year)
        return f"{self.start_year}–{self.end_year}"


class ReviewStep(AbstractReviewStep):
    declaration = models.ForeignKey("hours.Declaration", on_delete=models.PROTECT, related_name="steps")

    class Meta(AbstractReviewStep.Meta):
        db_table = "review_reviewstep"  # moved from review (hours/migrations/0017), table kept
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"
        indexes = [models.Index(fields=["declaration", "created_at"])]


class RevocationReason(models.TextChoices):
    FALSE_MATERIALS = "false_materials", "材料不实"
    DUPLICATE = "duplicate", "重复申报"
    REVIEW_ERROR = "review_error", "审核错误"
    OTHER = "other", "其他"


class Revocation(AppendOnly, models.Model):
    """撤销认定: a bureau took back the approval of some years of an approved declaration (all of
    them, or one). The declaration stays approved in the workflow; its revoked year records
    (YearRecord.revocation) stop counting everywhere. Append-only."""

    record_noun = "撤销认定记录"

    declaration = models.ForeignKey(Declaration, verbose_name="申报", on_delete=models.PROTECT, related_name="revocations")
    years = models.JSONField("撤销年度", default=list)
    reason = models.CharField("撤销原因类别", max_length=20, choices=RevocationReason.choices)
    reason_text = models.CharField("撤销原因", max_length=500)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", verbose_name="经办机构", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("撤销时间", auto_now_add=True)

    class Meta:
        verbose_name = "撤销认定"
        verbose_name_plural = "撤销认定"
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.declaration.business_no} {self.years_label}年度"

    @property
    def years_label(self):
        return "、".join(str(y) for y in self.years)



class YearRecordQuerySet(models.QuerySet):
    def counting(self, states=(State.APPROVED,)):
        """The year records whose hours count: of declarations in `states` (approved, by default),
        their approval not revoked. Everything that adds up approved hours starts here."""
        return self.filter(declaration__state__in=states, revocation__isnull=True)


class YearRecord(models.Model):
    """年度明细: one year of a declaration; its totals are the sum of its items, computed by the rules engine."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="year_records")
    year = models.PositiveSmallIntegerField("年度")
    public_hours = models.DecimalField("公需科目折算学时", **HOURS)
    professional_hours = models.DecimalField("专业科目折算学时", **HOURS)
    # Derived, as the hours are: the months of the absences declared in the year (the rule set's
    # proration activity), 0 where the rule set does not prorate. Never typed in.
    months_away = models.PositiveSmallIntegerField(
        "不在岗月数", default=0, editable=False, validators=[MaxValueValidator(12)],
        help_text="由当年度申报的境外工作、病假、生育等情形计算，按在岗时间折算当年学时要求",
    )
    revocation = models.ForeignKey(
        Revocation, verbose_name="撤销认定", null=True, blank=True, on_delete=models.PROTECT, related_name="year_records"
    )

    objects = YearRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "年度明细"
        verbose_name_plural = "年度明细"
        ordering = ["year"]
        constraints = [models.UniqueConstraint(fields=["declaration", "year"], name="yearrecord_unique_year")]

    def __str__(self):
        return f"{self.year}年度"

    @property
    def total_hours(self):
        return self.public_hours + self.professional_hours


class ItemSource(models.TextChoices):
    APPLICANT = "applicant", "本人申报"
    PLATFORM = "platform", "事业单位工作人员培训平台"
    TRAINING_BASE = "training_base", "继续教育基地"
    UNIT_FILING = "unit_filing", "单位培训备案"
    OTHER_PLATFORM = "other_platform", "其他培训平台"


class Item(models.Model):
    """One learning activity (学习形式) with its facts; hours are what the rules engine gives, never
    typed in (or, for an activity the reviewing organisation determines, what its reviewer sets)."""

    year_record = models.ForeignKey(YearRecord, on_delete=models.CASCADE, related_name="items")
    # The declaration's applicant, kept on the item so that the reviewers' check finds the same
    # work among all of a person's declarations with one indexed look-up.
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申报人", on_delete=models.PROTECT, related_name="+")
    activity = models.CharField("学习形式", max_length=40)
    facts = models.JSONField("填报内容", default=dict)
    title = models.CharField("名称", max_length=200, blank=True)
    reference_no = models.CharField("编号", max_length=100, blank=True)
    public_hours = models.DecimalField("公需科目学时", **HOURS)
    professional_hours = models.DecimalField("专业科目学时", **HOURS)
    counted_year = models.PositiveSmallIntegerField("计入年度", null=True, blank=True)
    source = models.CharField("来源", max_length=20, choices=ItemSource.choices, default=ItemSource.APPLICANT)
    # What makes two items one (the rule set's identity: a paper's title, a patent's number, or once
    # a year), normalised so that "Ａ论文" and "a论文 " are one; empty where the activity has none.
    identity_key = models.CharField("识别键", max_length=250, blank=True, default="")
    # For an activity whose hours the reviewing organisation sets (由审核单位核定): when they were
    # last set; empty until then (the item counts 0). Who set them is in the review step.
    determined_at = models.DateTimeField("学时核定时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "学习项目"
        verbose_name_plural = "学习项目"
        ordering = ["created_at", "id"]
        # The reviewers' conflict check looks items up by form and number or title, and a person's
        # own items by their identity; nothing else does.
        indexes = [
            models.Index(fields=["activity", "reference_no"], name="item_activity_number"),
            models.Index(fields=["activity", "title"], name="item_activity_title"),
            models.Index(fields=["applicant", "activity", "identity_key"], name="item_applicant_identity"),
        ]
        constraints = [
            # One item per work (or per year, for what is declared once a year) in each year of a
            # declaration: a double click or a second tab cannot count a paper twice.
            models.UniqueConstraint(
                fields=["year_record", "activity", "identity_key"], condition=~Q(identity_key=""), name="item_one_per_identity"
            ),
        ]

    @property
    def total_hours(self):
        return self.public_hours + self.professional_hours


class EvidenceCategory(models.TextChoices):
    EDUCATION = "education", "学历信息"
    ENTRUSTMENT = "entrustment", "委托审批函"
    DECLARATION = "declaration", "学时申报材料"
    HOURS = "hours", "学时上传"
    PREVIOUS_CERTIFICATE = "previous_certificate", "以前年度学时认定单"
    ITEM = "item", "学习项目佐证材料"


def evidence_upload_to(instance, filename):
    """Server-made names only: the uploaded name is kept in the database, never on disk."""
    return f"evidence/{instance.declaration_id}/{uuid.uuid4().hex}{instance.extension}"


class Evidence(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="evidence")
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    year_to = models.PositiveSmallIntegerField(
        "终止年度", null=True, blank=True, help_text="以前年度学时认定单所覆盖的最后一年（起始年度见“年度”）"
    )
    category = models.CharField("材料类别", max_length=20, choices=EvidenceCategory.choices)
    material = models.CharField("材料名称", max_length=40, blank=True, help_text="规则中的材料编码，如培训通知、结业证书")
    # One scan may serve several materials of its item (a journal's cover, number and contents page
    # are often one page): every code it serves, `material` being the first of them.
    materials = models.JSONField(
        "所证明的材料", default=list, blank=True, help_text="该文件作为佐证的全部材料编码；一份扫描件可同时作为同一项目的多项材料"
    )
    file = models.FileField("文件", upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    extension = models.CharField("扩展名", max_length=8)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["category", "uploaded_at", "id"]
        # The same file once in the same place: a double click on 上传 stores it once.
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "category", "sha256"], condition=Q(item__isnull=True), name="evidence_once_per_category"
            ),
            models.UniqueConstraint(
                fields=["item", "material", "sha256"], condition=Q(item__isnull=False), name="evidence_once_per_item_material"
            ),
        ]

    @property
    def material_codes(self):
        """The materials this file serves (a row stored before `materials` existed: its one)."""
        return list(self.materials) or ([self.material] if self.material else [])


class TrainingRecordQuerySet(models.QuerySet):
    def offered(self):
        """What a person may still tick in (确认选择) or sees as waiting in 学时档案: not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)


class TrainingRecord(models.Model):
    """Hours recorded by the public-institution training platform, a training base or an approved
    unit filing's roster; the attendee ticks them into a declaration (确认选择) once."""

    source = models.CharField("来源", max_length=20, choices=ItemSource.choices)
    source_org = models.ForeignKey(
        "accounts.Organisation", verbose_name="举办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    id_number = models.CharField("证件号码", max_length=18, db_index=True)
    name = models.CharField("姓名", max_length=50)
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("培训名称", max_length=200)
    subject = models.CharField("科目", max_length=20, choices=[("public", "公需科目"), ("professional", "专业科目")])
    hours = models.DecimalField("学时", max_digits=6, decimal_places=1, validators=[MinValueValidator(Decimal("0"))])
    filing = models.ForeignKey(
        "TrainingFiling", verbose_name="培训备案", null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    certificate_no = models.CharField("证书编号", max_length=60, blank=True)
    item = models.OneToOneField(Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="training_record")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    # Sent through the API (api/): the platform's own record id (unique per sending organisation,
    # source_org), the course dates, the last change and a withdrawal (the row stays, for the
    # platform's read side; a withdrawn record is offered to no one).
    external_id = models.CharField("平台记录编号", max_length=64, blank=True)
    start_date = models.DateField("开始日期", null=True, blank=True)
    end_date = models.DateField("结束日期", null=True, blank=True)
    updated_at = models.DateTimeField("最近更新时间", null=True, blank=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)

    objects = TrainingRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "培训学时记录"
        verbose_name_plural = "培训学时记录"
        indexes = [models.Index(fields=["id_number", "year"])]
        constraints = [
            # Records from a spreadsheet are one per person, year and title; a platform's are one
            # per record id (a person may take a course of one title twice).
            models.UniqueConstraint(
                fields=["source", "id_number", "year", "title"], name="trainingrecord_unique_per_person",
                condition=models.Q(external_id=""),
            ),
            models.UniqueConstraint(
                fields=["source_org", "external_id"], name="trainingrecord_unique_external_id",
                condition=~models.Q(external_id=""),
            ),
        ]


class TrainingType(models.TextChoices):
    CLASS = "class", "培训班"
    SEMINAR = "seminar", "研修班"
    ADVANCED = "advanced", "进修班"
    LECTURE = "lecture", "讲座"
    PRACTICE = "practice", "实践活动"
    ONLINE = "online", "网络培训"


COURSE_TYPES = [("public", "公需科目"), ("professional", "专业科目")]


def filing_upload_to(instance, filename):
    return f"filings/{instance.organisation_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class TrainingFiling(Reviewable):
    """继续教育培训备案: a unit's own training, filed with its supervising department (专业科目) or
    the HR bureau (公需科目); once approved and held, its roster counts as that year's hours."""

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name="举办单位", on_delete=models.PROTECT, related_name="training_filings"
    )
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("培训名称", max_length=200)
    training_type = models.CharField("培训类型", max_length=20, choices=TrainingType.choices)
    course_type = models.CharField("课程类型", max_length=20, choices=COURSE_TYPES)
    hours = models.DecimalField("培训学时", max_digits=6, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))])
    days = models.DecimalField("培训天数", max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))])
    planned_start = models.DateField("预计培训开始时间")
    planned_end = models.DateField("预计培训结束时间")
    notice = models.FileField("培训通知", upload_to=filing_upload_to, max_length=200)
    schedule = models.FileField("培训课程表", upload_to=filing_upload_to, max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    duplicate_of = models.ForeignKey(
        "self", verbose_name="重复于", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="“同名培训只能有一份未通过的备案”之前已重复的备案，指向保留的那一份（迁移 hours 0016 所标）",
    )

    noun = "备案"

    class Meta:
        verbose_name = "继续教育培训备案"
        verbose_name_plural = "继续教育培训备案"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "current_org", "waiting_since"], name="filing_queue"),
            models.Index(fields=["organisation", "year"], name="filing_org_year"),
        ]
        constraints = [
            models.CheckConstraint(name="filing_dates_ordered", condition=Q(planned_start__lte=models.F("planned_end"))),
            # One open filing of a training per unit and year (the roster's records are keyed by its name).
            models.UniqueConstraint(
                fields=["organisation", "year", "name"], condition=Q(state__in=OPEN_STATES, duplicate_of__isnull=True),
                name="filing_one_open_per_name",
            ),
        ]

    def __str__(self):
        return f"{self.year}年 {self.name}"

    # Filings need one level only: the department (专业科目) or the bureau (公需科目) records them.
    @transition(field="state", source=[State.SUPERIOR_REVIEW, State.BUREAU_REVIEW], target=State.APPROVED)
    def record(self, *, now):
        self.current_org = None
        self.waiting_since = None
        self.decided_at = now


class FilingStep(AbstractReviewStep):
    filing = models.ForeignKey("hours.TrainingFiling", on_delete=models.PROTECT, related_name="steps")

    class Meta(AbstractReviewStep.Meta):
        db_table = "review_filingstep"  # moved from review (hours/migrations/0017), table kept
        verbose_name = "备案审核记录"
        verbose_name_plural = "备案审核记录"
        indexes = [models.Index(fields=["filing", "created_at"])]


# --- the summary the ledgers and statistics read (hours/summary.py keeps it) -----------------------
# Each declaration transition updates these rows in its own transaction; summary.recount() builds
# them afresh from the raw rows, and the tests prove the two agree.


class PersonYear(models.Model):
    """One person's standing for one year, for every year a submitted or approved declaration
    covers: the hours approved (the record of the declaration approved last counts, as on the
    学时认定单), the hours still under review, the year's requirement and whether it is met."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    # Where the person works now (User.organisation), so a unit's staff ledger and its statistics
    # agree; moved with the person when a unit confirms them (accounts.signals.person_moved).
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    public = models.DecimalField("已认定公需科目学时", **HOURS)
    professional = models.DecimalField("已认定专业科目学时", **HOURS)
    pending_public = models.DecimalField("审核中公需科目学时", **HOURS)
    pending_professional = models.DecimalField("审核中专业科目学时", **HOURS)
    required_public = models.DecimalField("公需科目学时要求", **HOURS)
    required_professional = models.DecimalField("专业科目学时要求", **HOURS)
    required_total = models.DecimalField("学时要求合计", **HOURS)
    met = models.BooleanField("已达标", default=False)
    approved = models.ForeignKey(
        Declaration, verbose_name="认定该年度的申报", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pending = models.ForeignKey(
        Declaration, verbose_name="审核中的申报", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "个人年度学时汇总"
        verbose_name_plural = "个人年度学时汇总"
        constraints = [models.UniqueConstraint(fields=["person", "year"], name="personyear_unique")]
        indexes = [models.Index(fields=["organisation", "year", "met"], name="personyear_org_year")]

    @property
    def total(self):
        return self.public + self.professional

    @property
    def shortfall(self):
        """短缺: the hours still to learn, each column on its own and the total on its own (20 公需 +
        80 专业 against 30 + 60 still lacks 10), as the staff ledger counts it (hours/ledger.py)."""
        zero = Decimal(0)
        per_column = max(zero, self.required_public - self.public) + max(zero, self.required_professional - self.professional)
        return max(zero, self.required_total - self.total, per_column)


class UnitStaff(models.Model):
    """在册人员: how many people a unit has confirmed (active memberships), kept as units confirm
    people, so that 查询统计 never counts memberships row by row."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    staff = models.IntegerField("在册人数", default=0)

    class Meta:
        verbose_name = "单位在册人数"
        verbose_name_plural = "单位在册人数"


class UnitYear(models.Model):
    """Per unit and year, the sums of its PersonYear rows: what 查询统计 adds up over a jurisdiction
    without reading a row per person."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    declared = models.PositiveIntegerField("已申报人数", default=0)
    met = models.PositiveIntegerField("已达标人数", default=0)
    public = models.DecimalField("已认定公需科目学时", max_digits=12, decimal_places=1, default=Decimal(0))
    professional = models.DecimalField("已认定专业科目学时", max_digits=12, decimal_places=1, default=Decimal(0))
    pending = models.PositiveIntegerField("审核中人数", default=0)

    class Meta:
        verbose_name = "单位年度学时汇总"
        verbose_name_plural = "单位年度学时汇总"
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="unityear_unique")]


class StateTally(models.Model):
    """How many declarations of a unit (the declaration's organisation) covering a year are in each
    state; drafts are not counted."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    state = models.CharField("状态", max_length=20, choices=State.choices)
    count = models.IntegerField("申报数", default=0)

    class Meta:
        verbose_name = "申报状态汇总"
        verbose_name_plural = "申报状态汇总"
        constraints = [models.UniqueConstraint(fields=["organisation", "year", "state"], name="statetally_unique")]


class LevelDays(models.Model):
    """How long declarations of a unit covering a year waited at a review level: `count` passes of
    `days` working days each. A histogram, so that medians over any set of units are exact."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    state = models.CharField("审核环节", max_length=20, choices=State.choices)
    days = models.PositiveIntegerField("工作日")
    count = models.IntegerField("次数", default=0)

    class Meta:
        verbose_name = "审核用时汇总"
        verbose_name_plural = "审核用时汇总"
        constraints = [models.UniqueConstraint(fields=["organisation", "year", "state", "days"], name="leveldays_unique")]


class OverdueTally(models.Model):
    """督办: declarations of a unit covering a year that wait at a level beyond the supervision days,
    as counted at `OverdueCount.counted_at`. Lateness grows with the clock, not with decisions, so
    it is counted by a job (summary.overdue_refresh: the daily reminders, load_demo, a rebuild)
    rather than kept by the transitions; pages say when."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    state = models.CharField("审核环节", max_length=20, choices=State.choices)
    count = models.IntegerField("督办件数", default=0)

    class Meta:
        verbose_name = "督办件数汇总"
        verbose_name_plural = "督办件数汇总"
        constraints = [models.UniqueConstraint(fields=["organisation", "year", "state"], name="overduetally_unique")]


class OverdueCount(models.Model):
    """When OverdueTally was last counted (one row)."""

    counted_at = models.DateTimeField("统计时间")

    class Meta:
        verbose_name = "督办件数统计时间"
        verbose_name_plural = "督办件数统计时间"
