"""学时认定单 rendering as a background job (core/jobs.py): with a worker configured, 下载 of a
certificate not stored yet queues the rendering and sends the applicant to the job's page, which
links the file once the worker has rendered and sealed it; a stored certificate is served at once."""
import pytest
from django.urls import reverse

from certificates.models import Certificate
from core.models import Job, JobKind, JobState
from hours.transitions import declaration_revoke
from tests.certificates.conftest import FULL_YEAR
from tests.helpers import text_of
from tests.portal.jobs_support import run_worker

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_certificate_not_yet_stored_is_rendered_by_a_job(client, p, approve, settings, django_capture_on_commit_callbacks):
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    settings.TASKS = DATABASE_TASKS
    client.force_login(p.song)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2019})
    job = Job.objects.get()
    assert response["Location"] == reverse("portal:job", args=[job.pk])
    assert job.kind == JobKind.CERTIFICATE_RENDER and not Certificate.objects.exists()
    run_worker()
    job.refresh_from_db()
    certificate = Certificate.objects.get()
    assert (job.state, job.result) == (JobState.SUCCEEDED, {"certificate": certificate.number})
    page = client.get(reverse("portal:job", args=[job.pk]))
    assert f'href="{reverse("certificates:download", args=[certificate.number])}"' in page.content.decode()
    # Stored now: 下载 again goes straight to the file, no job.
    again = client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2019})
    assert again["Location"] == reverse("certificates:download", args=[certificate.number])
    assert Job.objects.count() == 1


def test_without_a_worker_the_rendering_runs_in_the_request(client, p, approve):
    approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    client.force_login(p.song)
    response = client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2019})
    certificate = Certificate.objects.get()
    assert response["Location"] == reverse("certificates:download", args=[certificate.number])
    job = Job.objects.get()
    assert (job.kind, job.state, job.owner, job.result) == (JobKind.CERTIFICATE_RENDER, JobState.SUCCEEDED, p.song, {"certificate": certificate.number})


def test_the_job_page_counts_one_certificate_and_names_why_it_could_not_be_issued(
    client, p, approve, settings, django_capture_on_commit_callbacks
):
    """The hours revoked while the job waits for the worker: the job fails with the reason the
    applicant would have read on the page, not a system error."""
    declaration = approve(p.song, {2019: FULL_YEAR}, 2019, 2019)
    settings.TASKS = DATABASE_TASKS
    client.force_login(p.song)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("certificates:issue"), {"start_year": 2019, "end_year": 2019})
    job = Job.objects.get()
    assert "已处理 0 / 1 项（0%）" in text_of(client.get(reverse("portal:job", args=[job.pk])))
    declaration_revoke(declaration=declaration, user=p.hn_clerk, years=[2019], reason="false_materials", reason_text="培训证书系伪造")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and not Certificate.objects.exists()
    text = text_of(client.get(reverse("portal:job", args=[job.pk])))
    assert "状态： 失败" in text and "2019–2019年度内没有审核通过的学时，无法出具学时认定单。" in text
