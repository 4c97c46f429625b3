"""The review machinery shared by everything that climbs the levels (declarations, unit training
filings): states, the organisation holding an item, the append-only step base, submission windows and
notifications. Knows nothing of what it reviews: each reviewable kind subclasses Reviewable and keeps
its concrete step model beside it (hours/models.py)."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from core.models import AppendOnly


class State(models.TextChoices):
    DRAFT = "draft", "待提交"
    UNIT_REVIEW = "unit_review", "待单位审核"
    SUPERIOR_REVIEW = "superior_review", "待上级单位审核"
    BUREAU_REVIEW = "bureau_review", "待人社部门审核"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "审核不通过"


PENDING_STATES = (State.UNIT_REVIEW, State.SUPERIOR_REVIEW, State.BUREAU_REVIEW)
EDITABLE_STATES = (State.DRAFT, State.REJECTED)
# Not yet approved: edited and sent again, or withdrawn to be changed, never started afresh.
OPEN_STATES = (*EDITABLE_STATES, *PENDING_STATES)


class Action(models.TextChoices):
    SUBMIT = "submit", "提交"
    WITHDRAW = "withdraw", "撤销"
    APPROVE = "approve", "审核通过"
    REJECT = "reject", "审核不通过"
    REVOKE = "revoke", "撤销认定"  # an approved declaration's years taken back (hours.services.revoke)


class Reviewable(ConcurrentTransitionMixin, models.Model):
    """State lives in a protected FSM field: only the transition services (workflow/runner.py and the
    kinds' transitions built on it) change it. ConcurrentTransitionMixin adds `state = <as read>` to every UPDATE, so of two
    concurrent transitions exactly one writes (on SQLite too, where row locks do nothing)."""

    state = FSMField("审核状态", default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    current_org = models.ForeignKey(
        "accounts.Organisation",
        verbose_name="当前审核单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    waiting_since = models.DateTimeField("进入当前环节时间", null=True, blank=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    rejection_reason = models.CharField("审核不通过意见", max_length=500, blank=True)

    noun = "申报"  # what the messages call it

    class Meta:
        abstract = True

    # Transition bodies only change fields; workflow/runner.py locks, checks permission, saves and audits.
    @transition(field=state, source=list(EDITABLE_STATES), target=RETURN_VALUE(*PENDING_STATES))
    def submit(self, *, target, org, now):
        self.current_org = org
        self.submitted_at = now
        self.waiting_since = now
        self.rejection_reason = ""
        return target

    @transition(field=state, source=list(PENDING_STATES), target=State.DRAFT)
    def withdraw(self):
        self.current_org = None
        self.waiting_since = None

    @transition(
        field=state, source=[State.UNIT_REVIEW, State.SUPERIOR_REVIEW], target=RETURN_VALUE(State.SUPERIOR_REVIEW, State.BUREAU_REVIEW)
    )
    def forward(self, *, target, org, now):
        self.current_org = org
        self.waiting_since = now
        return target

    @transition(field=state, source=State.BUREAU_REVIEW, target=State.APPROVED)
    def approve(self, *, now):
        self.current_org = None
        self.waiting_since = None
        self.decided_at = now

    @transition(field=state, source=list(PENDING_STATES), target=State.REJECTED)
    def reject(self, *, reason, now):
        self.current_org = None
        self.waiting_since = None
        self.decided_at = now
        self.rejection_reason = reason

    def is_own(self, user):
        """Whether the item is `user`'s own, which they may not review; a kind with an applicant says so."""
        return False

    @property
    def is_editable(self):
        return self.state in EDITABLE_STATES

    @property
    def is_pending(self):
        return self.state in PENDING_STATES

    @property
    def is_approved(self):
        return self.state == State.APPROVED

    @property
    def is_rejected(self):
        return self.state == State.REJECTED


class AppendOnlyQuerySet(models.QuerySet):
    """The instance methods below refuse changes; so do the bulk ones, which would bypass them."""

    def update(self, **kwargs):
        raise ValueError("审核记录只能新增，不能修改。")

    def delete(self):
        raise ValueError("审核记录不能删除。")


class AbstractReviewStep(AppendOnly, models.Model):
    """One recorded step: who, in which role and organisation, when, from which state to which, and why."""

    record_noun = "审核记录"

    action = models.CharField("操作", max_length=10, choices=Action.choices)
    from_state = models.CharField("原状态", max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField("新状态", max_length=20, choices=State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField("角色", max_length=20)
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name="经办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    next_org = models.ForeignKey(
        "accounts.Organisation", verbose_name="送往单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opinion = models.CharField("审核意见", max_length=500, blank=True)
    details = models.JSONField("补充信息", default=dict, blank=True)
    ip_address = models.GenericIPAddressField("IP地址", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]



class FilingPeriod(models.Model):
    """The window in which declarations may be submitted in a bureau's jurisdiction (the 2024 notice:
    June–July), and how many working days a declaration may wait at one level before 督办."""

    bureau = models.ForeignKey(
        "accounts.Organisation", verbose_name="人社部门", on_delete=models.CASCADE, related_name="filing_periods",
        limit_choices_to={"kind": "bureau"},
    )
    year = models.PositiveSmallIntegerField("年度")
    opens_on = models.DateField("开始日期")
    closes_on = models.DateField("截止日期")
    supervision_days = models.PositiveSmallIntegerField("督办时限（工作日）", default=5)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        db_table = "review_filingperiod"  # moved from review (workflow/migrations/0001), table kept
        verbose_name = "集中办理时间"
        verbose_name_plural = "集中办理时间"
        constraints = [
            models.UniqueConstraint(fields=["bureau", "year"], name="filingperiod_one_per_year"),
            models.CheckConstraint(name="filingperiod_ordered", condition=models.Q(opens_on__lte=models.F("closes_on"))),
        ]

    def __str__(self):
        return f"{self.bureau} {self.year}年：{self.opens_on:%Y-%m-%d} 至 {self.closes_on:%Y-%m-%d}"


class Notification(models.Model):
    """A message in the portal for one person (the e-mail copy, if any, is sent after commit)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # What the message is about (a declaration, a filing), whatever its kind.
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    title = models.CharField("标题", max_length=100)
    body = models.TextField("内容")
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        db_table = "review_notification"  # moved from review (workflow/migrations/0001), table kept
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]




class ReminderReason(models.TextChoices):
    URGE = "urge", "催报"
    WINDOW_14 = "window_14", "集中办理时间14天后截止"
    WINDOW_3 = "window_3", "集中办理时间3天后截止"
    SHORTFALL = "shortfall", "年度学时不足"
    OVERDUE_DIGEST = "overdue_digest", "督办件汇总"


class Reminder(models.Model):
    """One reminder to one person for one reason and period: at most one, whatever the number of
    workers or clicks (the constraint decides, workflow/reminders.py). 催报 has the day as its
    period, so a person is chased at most once a day; the notice itself is a Notification."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="reminders")
    reason = models.CharField("提醒事由", max_length=20, choices=ReminderReason.choices)
    period = models.CharField("期间", max_length=20, help_text="如 2026（年度）、2026-06-17（日期）")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发送人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="空表示系统自动发送",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name="发送单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channels = models.JSONField("发送渠道", default=list, blank=True)
    created_at = models.DateTimeField("发送时间", auto_now_add=True)

    class Meta:
        verbose_name = "提醒"
        verbose_name_plural = "提醒"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "reason", "period"], name="reminder_once")]
        indexes = [models.Index(fields=["organisation", "created_at"], name="reminder_org")]
