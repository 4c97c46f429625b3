"""Two clerks revoke the same year of one declaration at the same moment: one revocation, the other
told it is revoked already (the declaration's row lock serialises them). PostgreSQL only.

    DATABASE_URL=postgres://… .venv/bin/python -m pytest tests/hours/test_revocation_postgres.py
"""
from operator import attrgetter

from accounts.models import Organisation, Role, User
from hours import services
from hours.models import Declaration, Revocation, ReviewStep
from hours.transitions import declaration_approve, declaration_revoke, declaration_submit
from tests.helpers import make_staff
from tests.hours.fixtures_views import complete
from tests.races import at_once, on_postgresql
from workflow.models import Action
from workflow.runner import WorkflowError

pytestmark = on_postgresql("two transactions revoking one year must queue on the declaration's row lock")

PROFILE = {"gender": "男", "ethnicity": "汉族", "phone": "18899098765", "education": "硕士研究生",
           "title_sought": "高级工程师", "category": "工程技术", "specialty": "地质勘查"}


def test_two_clerks_revoke_the_same_year_at_once(committed_demo):
    song = User.objects.get(name="宋庆涛")
    hn = Organisation.objects.get(name="湖南省人力资源和社会保障厅")
    clerks = [User.objects.get(username="hn_clerk"), make_staff(username="hn_clerk2", role=Role.BUREAU_CLERK, organisation=hn)]
    d = services.declaration_create(user=song, applicant=song, data={**PROFILE, "name": song.name}, start_year=2021, end_year=2021)
    record = services.year_record_add(declaration=d, user=song, year=2021)
    services.item_add(year_record=record, user=song, activity="training", facts={"subject": "public", "days": 2, "half_days": 0})
    d = declaration_submit(declaration=complete(d), user=song, pledge=True)
    d = declaration_approve(declaration=d, user=User.objects.get(name="陈立新"), next_org=hn)
    d = declaration_approve(declaration=d, user=clerks[0])

    def request(clerk_pk):
        def prepare():
            declaration, clerk = Declaration.objects.get(pk=d.pk), User.objects.get(pk=clerk_pk)
            return lambda: declaration_revoke(
                declaration=declaration, user=clerk, years=[2021], reason="duplicate", reason_text="与另一申报重复",
            ).pk
        return prepare

    results = at_once(*(request(c.pk) for c in clerks), refused=WorkflowError, reason=attrgetter("code"))
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert next(r[1] for r in results if r[0] == "refused") in ("already_revoked", "stale")
    assert Revocation.objects.filter(declaration_id=d.pk).count() == 1
    assert ReviewStep.objects.filter(declaration_id=d.pk, action=Action.REVOKE).count() == 1
