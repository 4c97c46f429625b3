"""Background jobs as the people who started them see them (the queue itself is django-tasks)."""
from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"


class JobKind(models.TextChoices):
    BATCH_DECIDE = "batch_decide", "批量审核"
    CASE_ZIP = "case_zip", "材料打包"
    CERTIFICATE_RENDER = "certificate_render", "学时认定单生成"
    ROSTER_IMPORT = "roster_import", "参训人员名单导入"
    STAFF_ENROL = "staff_enrol", "批量导入人员"


class Job(models.Model):
    """One piece of work that may outlast a request: who asked, how far it got, what came of it.
    Only core/jobs.py writes these rows."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField("类型", max_length=30, choices=JobKind.choices)
    title = models.CharField("名称", max_length=200)
    state = models.CharField("状态", max_length=10, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    params = models.JSONField("参数", default=dict, blank=True)
    total = models.PositiveIntegerField("总数", default=0)
    done = models.PositiveIntegerField("已处理", default=0)
    result = models.JSONField("结果", default=dict, blank=True)
    # The file the job works on (an uploaded roster), kept only until the job has run.
    upload = models.FileField("上传文件", upload_to="jobs/uploads/%Y/%m/", max_length=200, blank=True)
    # A file the job produced (a zip), served to the owner only (the shell's job pages).
    file = models.FileField("结果文件", upload_to="jobs/%Y/%m/", max_length=200, blank=True)
    error = models.CharField("失败原因", max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    task_id = models.CharField("队列任务编号", max_length=64, blank=True, help_text="django-tasks 的任务结果编号")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    # Moved on whenever a running job reports progress: a RUNNING job whose heartbeat is old lost
    # its worker (killed, machine restarted) and is taken up again by jobs.jobs_recover.
    heartbeat_at = models.DateTimeField("最近进展时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        db_table = "portal_job"  # moved from portal (core/migrations/0001), table kept
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "created_at"], name="job_owner_recent")]

    def __str__(self):
        return f"{self.title}（{self.get_state_display()}）"

    @property
    def is_finished(self):
        return self.state in (JobState.SUCCEEDED, JobState.FAILED)

    @property
    def is_succeeded(self):
        return self.state == JobState.SUCCEEDED

    @property
    def is_kind(self):
        """What a finished job shows depends on its kind; templates ask `job.is_kind.case_zip` rather than spell kinds."""
        return {kind.value: self.kind == kind for kind in JobKind}

    @property
    def percent(self):
        if self.is_succeeded:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class AppendOnly:
    """Mixin (before models.Model) for records kept as written — audit steps, events, revocations:
    an instance is added once, never saved again nor deleted. `record_noun` names it in the refusal."""

    record_noun = "记录"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{self.record_noun}只能新增，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{self.record_noun}不能删除。")
