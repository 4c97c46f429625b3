"""参训人员名单 longer than 500 rows is imported by a background job (core/jobs.py): the file is
kept in storage until the job has read it, the job page reports what was imported and which lines
were wrong, and a refusal found when the job runs fails it at once (imports are never retried)."""
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role, RoleGrant
from hours import filings
from hours.models import TrainingRecord
from core.models import Job, JobKind, JobState
from hours import transitions
from tests.helpers import make_id_number, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.test_filings import new_filing
from tests.portal.jobs_support import run_worker

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
UNKNOWN = filings.ROSTER_IN_REQUEST_MAX_ROWS  # rows of people the platform does not know: 500 + the two below make 502


def long_roster(p):
    lines = ["证件号码,姓名,学时", f"{p.song.id_number},宋庆涛,8", f"{p.zhao.id_number},赵金强,6"]
    lines += [f"{make_id_number()},某某{n},8" for n in range(UNKNOWN)]
    return SimpleUploadedFile("名单.csv", ("\ufeff" + "\n".join(lines) + "\n").encode())


@pytest.fixture
def filing(p, media):
    return transitions.filing_approve(filing=transitions.filing_submit(filing=new_filing(p), user=p.chen), user=p.zrzy_admin)


def stored_uploads(folder="jobs/uploads"):
    """Every file left under the jobs' upload folder."""
    if not default_storage.exists(folder):
        return []
    folders, files = default_storage.listdir(folder)
    return [f"{folder}/{f}" for f in files] + [name for sub in folders for name in stored_uploads(f"{folder}/{sub}")]


def test_a_long_roster_is_imported_in_process_without_a_worker(client, p, filing):
    client.force_login(p.chen)
    response = client.post(reverse("hours:filing_roster", args=[filing.pk]), {"file": long_roster(p)}, follow=True)
    job = Job.objects.get()
    assert response.redirect_chain == [(reverse("portal:job", args=[job.pk]), 302)]
    assert (job.kind, job.state, job.total, job.done) == (JobKind.ROSTER_IMPORT, JobState.SUCCEEDED, 502, 502)
    text = text_of(response)
    assert f"参训人员名单导入：{filing.name}（502 行）" in text and "成功导入 2 人；有误 500 行。" in text
    assert "第4行 平台中没有该证件号码的人员" in text
    assert set(TrainingRecord.objects.filter(filing=filing).values_list("name", "hours")) == {("宋庆涛", 8), ("赵金强", 6)}
    job.refresh_from_db()
    assert not job.upload and stored_uploads() == []  # read, then removed


def test_with_a_worker_the_file_waits_in_storage_until_the_job_runs(client, p, filing, settings, django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE_TASKS
    client.force_login(p.chen)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hours:filing_roster", args=[filing.pk]), {"file": long_roster(p)})
    job = Job.objects.get()
    assert response["Location"] == reverse("portal:job", args=[job.pk]) and job.state == JobState.QUEUED
    assert job.upload.name.startswith("jobs/uploads/") and stored_uploads() == [job.upload.name]
    stored = job.upload.name
    assert not TrainingRecord.objects.exists()
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.result["created"], len(job.result["errors"])) == (JobState.SUCCEEDED, 2, 500)
    assert not job.upload and not default_storage.exists(stored) and stored_uploads() == []  # read, then removed
    assert TrainingRecord.objects.filter(filing=filing).count() == 2


def test_a_refusal_when_the_job_runs_fails_it_without_a_retry(client, p, filing, settings, django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE_TASKS
    client.force_login(p.chen)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("hours:filing_roster", args=[filing.pk]), {"file": long_roster(p)})
    job = Job.objects.get()
    stored = job.upload.name
    RoleGrant.objects.filter(user=p.chen, role=Role.UNIT_ADMIN).delete()  # no longer the unit's administrator
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (JobState.FAILED, 1, "只有该单位的管理员可以办理培训备案。")
    assert not job.upload and not default_storage.exists(stored)
    assert not TrainingRecord.objects.exists()


def test_a_long_roster_for_a_filing_not_yet_approved_is_refused_at_once(client, p, media):
    draft_filing = new_filing(p)
    client.force_login(p.chen)
    response = client.post(reverse("hours:filing_roster", args=[draft_filing.pk]), {"file": long_roster(p)})
    assert response.status_code == 400
    assert response.context["roster_form"].errors["file"] == ["培训备案通过后才能上传参训人员名单。"]
    assert not Job.objects.exists()
