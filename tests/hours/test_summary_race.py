"""Decisions at the same moment keep the summary right: three people of one unit approved at once
update the unit's row together (F() updates add up, none is lost), and two declarations of one
person approved at once are worked out one after the other (the person's row is locked). Real
threads and connections, on PostgreSQL: SQLite lets one writer in at a time, so there nothing is
ever lost."""
from operator import attrgetter
from types import SimpleNamespace

import pytest

from accounts.models import Organisation, User
from hours import summary
from hours.models import Declaration, PersonYear, UnitYear
from hours.transitions import declaration_approve
from tests.hours.fixtures_views import at_state
from tests.races import at_once, on_postgresql
from workflow.models import State
from workflow.runner import WorkflowError

pytestmark = on_postgresql()


@pytest.fixture
def p(committed_demo):
    org = Organisation.objects.get
    return SimpleNamespace(
        song=User.objects.get(name="宋庆涛"), zhao=User.objects.get(name="赵金强"), li=User.objects.get(name="李雪梅"),
        chen=User.objects.get(name="陈立新"), dzy_admin=User.objects.get(username="dzy_admin"),
        hn_clerk=User.objects.get(username="hn_clerk"),
        dzy=org(name="湖南省地质院"), hn=org(name="湖南省人力资源和社会保障厅"), dzyjs=org(name="湖南省地质研究所"),
    )


def approving(declaration_pk, clerk_pk):
    def prepare():
        declaration, clerk = Declaration.objects.get(pk=declaration_pk), User.objects.get(pk=clerk_pk)
        return lambda: declaration_approve(declaration=declaration, user=clerk)

    return prepare


def test_three_people_of_one_unit_approved_at_once(p, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    waiting = [at_state(p, State.BUREAU_REVIEW, applicant=person, start_year=2022, end_year=2022) for person in (p.song, p.zhao, p.li)]
    results = at_once(*(approving(d.pk, p.hn_clerk.pk) for d in waiting), refused=WorkflowError, reason=attrgetter("code"))
    assert [r[0] for r in results] == ["ok"] * 3
    assert UnitYear.objects.get(organisation=p.dzyjs, year=2022).declared == 3
    assert summary.stored() == summary.recount()


def test_two_declarations_of_one_person_approved_at_once(p, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    waiting = [at_state(p, State.BUREAU_REVIEW, start_year=2022, end_year=2023),  # both have a 2022 year record
               at_state(p, State.BUREAU_REVIEW, start_year=2022, end_year=2022)]
    results = at_once(*(approving(d.pk, p.hn_clerk.pk) for d in waiting), refused=WorkflowError, reason=attrgetter("code"))
    assert [r[0] for r in results] == ["ok", "ok"]
    # 2022 counts the declaration approved last, whichever that was
    last = max(waiting, key=lambda d: (Declaration.objects.get(pk=d.pk).decided_at, d.pk))
    assert PersonYear.objects.get(person=p.song, year=2022).approved_id == last.pk
    assert summary.stored() == summary.recount()
