"""Background jobs (core/jobs.py) and their pages: the embedded default runs a job in-process
during the request; the database queue leaves it to `manage.py db_worker`. The progress page,
its polling fragment and the file download are for the job's owner only; a refusal fails the
job at once, a crash is retried only for the kinds that are safe to run again; a duplicate
delivery does nothing. Also: 打包下载 of a large case and 学时认定单 rendering as jobs."""
import io
import re
import runpy
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.models import Role, RoleGrant
from hours import services as hours_services
from hours.models import Declaration, EvidenceCategory
from core import jobs
from core.models import Job, JobKind, JobState
from hours import transitions
from review import exports
from review import services as review_services
from workflow.models import State
from tests.helpers import SESSION_QUERIES, assert_database_query_count, hidden_fields, menu_links, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.portal.jobs_support import queue_down, run_worker, waiting_declarations

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
BATCH = "review:bureau_batch"
BASE_SETTINGS = str(Path(settings.BASE_DIR) / "portal" / "settings" / "base.py")


def job_urls(job):
    return [reverse(name, args=[job.pk]) for name in ("portal:job", "portal:job_progress", "portal:job_download")]


# --- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, backend",
    [(None, "django_tasks.backends.immediate.ImmediateBackend"), ("database", "django_tasks_db.DatabaseBackend"), ("immediate", "django_tasks.backends.immediate.ImmediateBackend")],
)
def test_tasks_backend_from_the_environment(monkeypatch, value, backend):
    if value is None:
        monkeypatch.delenv("TASKS_BACKEND", raising=False)
    else:
        monkeypatch.setenv("TASKS_BACKEND", value)
    config = runpy.run_path(BASE_SETTINGS)
    assert config["TASKS"]["default"]["BACKEND"] == backend
    assert {"django_tasks", "django_tasks_db"} <= set(config["INSTALLED_APPS"])


def test_an_unknown_tasks_backend_is_refused(monkeypatch):
    monkeypatch.setenv("TASKS_BACKEND", "redis")
    with pytest.raises(ImproperlyConfigured, match="TASKS_BACKEND 只能是 immediate 或 database"):
        runpy.run_path(BASE_SETTINGS)


# --- batch decisions without a worker (the embedded default) -----------------------------------


def test_up_to_100_are_decided_in_the_request(client, p):
    pks = [d.pk for d in waiting_declarations(p, review_services.BATCH_IN_REQUEST_MAX)]
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": pks, "decision": "approve"})
    assert response.status_code == 200 and "共 100 件：成功 100 件，未处理 0 件。" in text_of(response)
    assert not Job.objects.exists()


def test_more_than_100_run_in_process_without_a_worker(client, p):
    pks = [d.pk for d in waiting_declarations(p, 101)]
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": pks, "decision": "approve"}, follow=True)
    job = Job.objects.get()
    assert response.redirect_chain == [(reverse("portal:job", args=[job.pk]), 302)]
    assert (job.state, job.done, job.total, job.attempts) == (JobState.SUCCEEDED, 101, 101, 1)
    text = text_of(response)
    assert "批量审核通过（101 件）" in text and "已完成" in text and "成功 101 件，未处理 0 件" in text
    assert "hx-get" not in response.content.decode()
    assert Declaration.objects.filter(pk__in=pks, state=State.APPROVED).count() == 101


def test_a_crash_in_process_is_retried_and_reported_without_a_server_error(client, p, monkeypatch):
    pks = [d.pk for d in waiting_declarations(p, 101)]
    real = review_services._decide_one

    def decide(declaration, **kwargs):
        if declaration.pk == pks[50]:
            raise RuntimeError("disk full")
        return real(declaration, **kwargs)

    monkeypatch.setattr(review_services, "_decide_one", decide)
    client.force_login(p.hn_clerk)
    response = client.post(reverse(BATCH), {"ids": pks, "decision": "approve"}, follow=True)
    assert response.status_code == 200
    job = Job.objects.get()
    assert (job.state, job.attempts) == (JobState.FAILED, 3)
    assert "处理时发生系统错误（RuntimeError）" in text_of(response)
    assert Declaration.objects.filter(pk__in=pks, state=State.APPROVED).count() == 50
    assert [item["message"] for item in job.result["report"]] == [review_services.ALREADY_DONE] * 50


def test_a_queue_that_refuses_the_task_fails_the_job_with_the_reason(client, p, settings, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    """The queue refuses the task once the job is saved: the job's page, where the clerk lands, says
    it failed and what to do, instead of showing it 排队中 forever; nothing was decided."""
    settings.TASKS = DATABASE_TASKS
    pks = [d.pk for d in waiting_declarations(p, 101)]
    monkeypatch.setattr(jobs, "_enqueue", queue_down)
    client.force_login(p.hn_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(BATCH), {"ids": pks, "decision": "approve"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:job", args=[job.pk])
    assert (job.state, job.error) == (JobState.FAILED, "未能提交到后台处理队列，请稍后重新发起；如仍不成功，请联系系统管理员。")
    page = text_of(client.get(response["Location"]))
    assert "失败" in page and "未能提交到后台处理队列，请稍后重新发起" in page
    assert not Declaration.objects.filter(pk__in=pks, state=State.APPROVED).exists()


def test_select_all_filtered_follows_the_filter_and_asks_first(client, p):
    waiting = waiting_declarations(p, 20)
    other = at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)
    client.force_login(p.hn_clerk)
    todo = client.get(reverse("review:bureau_todo"), {"applicant": "赵金强", "page": "1"})
    assert "全选筛选结果" not in text_of(todo)  # one page: ticking the rows is enough
    todo = client.get(reverse("review:bureau_todo"), {"applicant": "宋庆涛", "page": "2"})
    html = todo.content.decode()
    assert '<input type="hidden" name="filters" value="applicant=%E5%AE%8B%E5%BA%86%E6%B6%9B">' in html
    assert "全选筛选结果（共 20 件）批量审核" in text_of(todo)

    form = {"scope": "filtered", "filters": "applicant=宋庆涛", "decision": "reject", "reason": "缺少结业证书"}
    confirm = client.post(reverse(BATCH), form)
    assert "全部 20 件申报批量 审核不通过 ，原因：缺少结业证书" in text_of(confirm)
    assert Declaration.objects.filter(state=State.BUREAU_REVIEW).count() == 21  # nothing decided yet

    # Confirmed as the confirmation page sends it: with the fingerprint of the 20 it showed.
    shown = hidden_fields(confirm)
    assert shown["count"] == "20" and shown["confirmed"] == "1"
    response = client.post(reverse(BATCH), shown)
    assert "共 20 件：成功 20 件" in text_of(response)  # 20: still within one request
    assert Declaration.objects.filter(pk__in=[d.pk for d in waiting], state=State.REJECTED).count() == 20
    assert Declaration.objects.get(pk=other.pk).state == State.BUREAU_REVIEW

    empty = client.post(reverse(BATCH), {**form, "confirmed": "1"}, follow=True)
    assert messages_of(empty) == ["筛选结果中没有待审核的申报。"]


# --- the job's pages ------------------------------------------------------------------------------


@pytest.fixture
def queued_batch(client, p, settings):
    """A batch job waiting for a worker (the database queue, no worker running)."""
    settings.TASKS = DATABASE_TASKS
    pks = [d.pk for d in waiting_declarations(p, 101)]
    client.force_login(p.hn_clerk)
    client.post(reverse(BATCH), {"ids": pks, "decision": "approve"})
    return Job.objects.get()


def test_a_queued_job_waits_for_the_worker_and_its_page_polls(client, p, queued_batch):
    job = queued_batch
    assert job.state == JobState.QUEUED and job.total == 101
    page = client.get(reverse("portal:job", args=[job.pk]))
    html = page.content.decode()
    assert "排队中" in text_of(page) and "已处理 0 / 101 项（0%）" in text_of(page)
    assert f'hx-get="{reverse("portal:job_progress", args=[job.pk])}" hx-trigger="every 1s"' in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html  # without JavaScript
    assert "htmx-2.0.11.min.js" in html
    fragment = client.get(reverse("portal:job_progress", args=[job.pk]))
    assert fragment.content.decode().lstrip().startswith('<div id="job-progress"') and "<html" not in fragment.content.decode()
    assert "no-cache" in fragment["Cache-Control"]


def test_only_the_owner_sees_a_job(client, p, queued_batch):
    job = queued_batch
    other = staff_clerk(p)
    for url in job_urls(job)[:2]:
        client.force_login(p.hn_clerk)
        assert client.get(url).status_code == 200
        client.force_login(other)
        assert client.get(url).status_code == 404
        client.force_login(p.song)
        assert client.get(url).status_code == 404
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    client.force_login(p.hn_clerk)
    assert client.get(job_urls(job)[2]).status_code == 404  # nothing to download from a batch


def staff_clerk(p):
    from accounts.services import staff_account_create
    from tests.helpers import DEMO_PASSWORD

    return staff_account_create(username="hn_clerk2", name="王晓燕", password=DEMO_PASSWORD, role=Role.BUREAU_CLERK, organisation=p.hn)


def test_my_jobs_lists_only_mine(client, p, queued_batch):
    client.force_login(p.hn_clerk)
    page = client.get(reverse("portal:job_list"))
    assert "批量审核通过（101 件） 批量审核" in text_of(page) and "排队中" in text_of(page) and "0 / 101" in text_of(page)
    assert ("我的后台任务", reverse("portal:job_list")) in menu_links(page)
    client.force_login(staff_clerk(p))
    assert "暂无后台任务" in text_of(client.get(reverse("portal:job_list")))


def test_a_job_is_run_once_even_if_delivered_twice(p, queued_batch):
    job = queued_batch
    run_worker()  # no task: the test's transaction never commits, so the on-commit enqueue never ran
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    jobs._enqueue(job.pk)
    jobs._enqueue(job.pk)  # delivered twice
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.done) == (JobState.SUCCEEDED, 1, 101)
    assert Declaration.objects.filter(state=State.APPROVED).count() == 101


# --- 打包下载 of a large case -----------------------------------------------------------------------


@pytest.fixture
def large_case(p, monkeypatch, media):
    """A case with four 学时上传 files beside the materials submitting requires, zipped in the
    background because the threshold is lowered to three."""
    monkeypatch.setattr(exports, "ZIP_IN_REQUEST_MAX_FILES", 3)
    d = draft(p.song)
    _, item = year_with_training(d, p.song)
    files = {}
    for n in range(4):
        data = png_bytes()
        hours_services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.HOURS, upload=png(f"学时证明{n}.png", data))
        files[f"学时上传/学时证明{n}.png"] = data
    return transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True), files


def test_a_large_case_is_zipped_by_a_job_and_downloaded_by_its_owner(client, p, large_case):
    d, files = large_case
    client.force_login(p.hn_clerk)
    response = client.get(reverse("review:case_zip", args=[d.pk]), follow=True)
    job = Job.objects.get()
    assert response.redirect_chain == [(reverse("portal:job", args=[job.pk]), 302)]
    count = d.evidence.count()
    assert (job.kind, job.state, job.done, job.total) == (JobKind.CASE_ZIP, JobState.SUCCEEDED, count, count)
    name = f"{d.business_no}-宋庆涛-材料.zip"
    download = client.get(reverse("portal:job_download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    data = b"".join(download.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    contents = {info.filename: archive.read(info) for info in archive.infolist()}
    assert files.items() <= contents.items() and len(contents) == count
    # What the job keeps: the zip's name, its size in bytes and type, and the stored file.
    assert job.result == {"filename": name, "size": len(data), "content_type": "application/zip"}
    assert re.search(rf"下载 {re.escape(name)} （\d+(\.\d)? KB）", text_of(response))  # a few kilobytes, not 0 字节
    assert re.fullmatch(rf"jobs/\d{{4}}/\d{{2}}/{job.pk}-materials\.zip", job.file.name) and job.file.size == len(data)
    # The last file packed was the job's last sign of life, after its start.
    assert job.heartbeat_at > job.started_at

    # Once finished, another click packs the case again in a job of its own.
    again = client.get(reverse("review:case_zip", args=[d.pk]))
    newer = Job.objects.exclude(pk=job.pk).get()
    assert again["Location"] == reverse("portal:job", args=[newer.pk]) and newer.state == JobState.SUCCEEDED

    client.force_login(p.cs_clerk)  # another bureau: neither the case nor the job
    assert client.get(reverse("portal:job_download", args=[job.pk])).status_code == 404
    # The owner loses the case (their role is withdrawn): the zip is not theirs to fetch any more.
    RoleGrant.objects.filter(user=p.hn_clerk, role=Role.BUREAU_CLERK).delete()
    p.hn_clerk.refresh_from_db()
    client.force_login(p.hn_clerk)
    assert client.get(reverse("portal:job_download", args=[job.pk])).status_code == 404


def test_a_zip_for_a_case_out_of_reach_fails_at_once_with_a_reason(client, p, large_case, settings, django_capture_on_commit_callbacks):
    d, _files = large_case
    settings.TASKS = DATABASE_TASKS
    client.force_login(p.hn_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(reverse("review:case_zip", args=[d.pk]))
        again = client.get(reverse("review:case_zip", args=[d.pk]))  # a second click: the same job
    job = Job.objects.get()
    assert first["Location"] == again["Location"] == reverse("portal:job", args=[job.pk])
    RoleGrant.objects.filter(user=p.hn_clerk, role=Role.BUREAU_CLERK).delete()  # the clerk leaves before it runs
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (JobState.FAILED, 1, "该申报不存在或您已无权查看，未能打包。")  # not retried
    assert not job.file
    page = text_of(client.get(reverse("portal:job", args=[job.pk])))
    assert "状态： 失败" in page and "该申报不存在或您已无权查看，未能打包。" in page


def test_a_second_click_leads_to_the_reviewers_own_waiting_zip_of_that_case(client, p, large_case, settings):
    d, _files = large_case
    settings.TASKS = DATABASE_TASKS  # no worker: the jobs stay queued
    client.force_login(p.hn_clerk)
    first = client.get(reverse("review:case_zip", args=[d.pk]))
    job = Job.objects.get()
    assert (job.owner, job.title, job.state, job.done, job.total) == (p.hn_clerk, f"材料打包：{d.business_no} 宋庆涛", JobState.QUEUED, 0, 9)
    page = text_of(client.get(first["Location"]))
    assert f"材料打包：{d.business_no} 宋庆涛" in page and "排队中" in page and "已处理 0 / 9 项（0%）" in page
    assert client.get(reverse("review:case_zip", args=[d.pk]))["Location"] == first["Location"]

    other = at_state(p, State.BUREAU_REVIEW, applicant=p.zhao)  # another large case: a job of its own
    other_click = client.get(reverse("review:case_zip", args=[other.pk]))
    other_job = Job.objects.get(params__declaration=other.pk)
    assert other_click["Location"] == reverse("portal:job", args=[other_job.pk])
    assert other_job.title == f"材料打包：{other.business_no} 赵金强"
    assert client.get(reverse("review:case_zip", args=[d.pk]))["Location"] == first["Location"]

    colleague = staff_clerk(p)  # another reviewer of the same bureau: not the first reviewer's job
    client.force_login(colleague)
    theirs = client.get(reverse("review:case_zip", args=[d.pk]))
    assert theirs["Location"] != first["Location"]
    assert Job.objects.filter(owner=colleague, params__declaration=d.pk, state=JobState.QUEUED).count() == 1
    assert Job.objects.count() == 3


def test_my_jobs_and_a_job_page_cost_the_same_queries_however_many_jobs(client, p):
    """One query for the list, one for the job; the session as on every page (the user from the cache)."""
    clerk = p.hn_clerk

    def batch_job(n):
        report = [{"pk": i, "business_no": f"B{i}", "name": "宋庆涛", "ok": True, "message": "审核通过"} for i in range(n)]
        return Job.objects.create(
            owner=clerk, kind=JobKind.BATCH_DECIDE, title=f"批量审核通过（{n} 件）", total=n, done=n, state=JobState.SUCCEEDED,
            result={"report": report, "ok": n, "failed": 0},
        )

    client.force_login(clerk)
    client.get(reverse("portal:job_list"))  # the signed-in person read into the cache
    small = batch_job(2)
    with assert_database_query_count(SESSION_QUERIES + 1):
        assert client.get(reverse("portal:job_list")).status_code == 200
    with assert_database_query_count(SESSION_QUERIES + 1):
        assert client.get(reverse("portal:job", args=[small.pk])).status_code == 200
    large = batch_job(600)
    for _ in range(30):
        batch_job(3)
    with assert_database_query_count(SESSION_QUERIES + 1):
        assert client.get(reverse("portal:job_list")).status_code == 200
    with assert_database_query_count(SESSION_QUERIES + 1):
        page = client.get(reverse("portal:job", args=[large.pk]))
    assert "成功 600 件" in text_of(page)
