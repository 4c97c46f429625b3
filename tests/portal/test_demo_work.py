"""`load_demo` leaves work in hand for every demo role (portal/demo_work.py): queues at each level,
a bureau 待办列表 a clerk can batch-approve, cases past the supervision limit, rejections, drafts,
years 2019 to now, and staff who met the year beside staff who are short."""
import pytest
from django.test import TestCase
from django.urls import reverse

from accounts.models import User
from hours import summary
from hours.models import Declaration, PersonYear
from portal.management.commands.load_demo import load
from review.checks import failed_checks
from tests.conftest import kept_for_module
from workflow.models import State

pytestmark = pytest.mark.django_db

INSTITUTE = "湖南省地质研究所"
CHEN = "430121197503121031"


@pytest.fixture(scope="module")
def demo_with_work(django_db_setup, django_db_blocker, demo_data, tmp_path_factory):
    """The whole demo as `make run` loads it, the checks' verdicts kept as after its commit, rolled
    back at the module's end."""
    from django.conf import settings

    media, settings.MEDIA_ROOT = settings.MEDIA_ROOT, str(tmp_path_factory.mktemp("media"))
    def fill():
        with TestCase.captureOnCommitCallbacks(execute=True):  # review's on_arrival verdicts
            load(demo_data)

    with kept_for_module(django_db_blocker, fill):
        yield
    settings.MEDIA_ROOT = media


def waiting(state, org):
    return Declaration.objects.filter(state=state, current_org__name=org)


def test_the_provincial_clerk_finds_twenty_cases_to_batch_approve_some_overdue(demo_with_work, client):
    todo = waiting(State.BUREAU_REVIEW, "湖南省人力资源和社会保障厅")
    assert todo.count() >= 20
    assert sum(not failed_checks(d) for d in todo) >= 20
    assert todo.filter(checks_failed=0, checked_at__isnull=False).count() >= 20  # the list's 校验全部通过
    assert todo.exclude(checks_failed=0).exists()  # and one the checks hold back

    client.force_login(User.objects.get(username="hn_clerk"))
    page = client.get(reverse("review:bureau_todo")).content.decode()
    assert f"继续教育【{todo.count()}】" in page and "其中督办" in page


def test_each_level_has_its_queue(demo_with_work, client):
    assert waiting(State.UNIT_REVIEW, INSTITUTE).count() >= 3
    assert waiting(State.SUPERIOR_REVIEW, "湖南省地质院").count() >= 2
    assert waiting(State.SUPERIOR_REVIEW, "湖南省自然资源厅").count() >= 2
    assert waiting(State.BUREAU_REVIEW, "长沙市人力资源和社会保障局").count() >= 3
    for login, url, name in [
        (dict(id_number=CHEN), reverse("review:unit_queue"), "赵金强"),
        (dict(username="dzy_admin"), reverse("review:superior_queue"), "龙秀英"),
        (dict(username="zrzy_admin"), reverse("review:superior_queue"), "孟鹏飞"),
    ]:
        client.force_login(User.objects.get(**login))
        assert name in client.get(url).content.decode(), login


def test_every_state_and_every_year_appear(demo_with_work):
    assert set(Declaration.objects.values_list("state", flat=True)) == set(State.values)
    years = {y for d in Declaration.objects.all() for y in d.years}
    assert set(range(2019, 2026)) <= years
    rejected = Declaration.objects.filter(state=State.REJECTED)
    assert rejected.count() >= 3 and all(d.rejection_reason for d in rejected)


def test_the_institute_has_staff_who_met_the_year_and_staff_who_are_short(demo_with_work):
    from django.utils import timezone

    rows = PersonYear.objects.filter(organisation__name=INSTITUTE)
    for year in (timezone.localdate().year - 1, timezone.localdate().year):
        assert rows.filter(year=year, met=True).exists() and rows.filter(year=year, met=False).count() >= 2, year


def test_the_summary_agrees_with_a_recount(demo_with_work):
    assert summary.stored() == summary.recount()
