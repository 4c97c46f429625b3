"""Exports never fail on stored text (review/exports.py): rows written before the input policy
(core/inputs.py) may hold control characters pasted from Word, which openpyxl refuses for the
whole workbook. Every Excel cell and every name in a materials zip goes through safe_text, and a
would-be formula is still kept a string."""
import io
import zipfile
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organisation
from hours.models import Declaration, Evidence, EvidenceCategory
from hours import transitions
from workflow.models import State
from tests.hours.fixtures_views import *  # noqa: F401,F403
from tests.hours.fixtures_views import at_state, attach_general_files, draft, year_with_training

pytestmark = pytest.mark.django_db


def stored_as(declaration, **fields):
    """Text as it sits in old rows: written directly, past every form."""
    Declaration.objects.filter(pk=declaration.pk).update(**fields)


def exported_rows(client, url):
    response = client.get(url, {"export": "xlsx"})
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))


def test_every_queue_export_lists_a_name_with_control_characters(client, p, media):
    d = at_state(p, State.UNIT_REVIEW)
    stored_as(d, name="宋\x0b庆\x01涛", education="硕士\x1f研究生")
    Organisation.objects.filter(pk=p.dzyjs.pk).update(name="湖南省地质研究所\x08")
    client.force_login(p.chen)
    [header, row] = exported_rows(client, reverse("review:unit_queue"))
    assert (row[1], row[2], row[4], row[6]) == (d.business_no, "宋 庆涛", "湖南省地质研究所", "硕士 研究生")
    # The same rows further up: the superior's queue and the bureau's 待办列表.
    for reviewer, url in ((p.dzy_admin, "review:superior_queue"), (p.hn_clerk, "review:bureau_todo")):
        d = at_state(p, State.SUPERIOR_REVIEW if reviewer == p.dzy_admin else State.BUREAU_REVIEW, applicant=p.zhao)
        stored_as(d, name="赵\x02金强")  # not NUL: PostgreSQL stores none
        client.force_login(reviewer)
        assert "赵金强" in [r[2] for r in exported_rows(client, reverse(url))[1:]]


def test_a_would_be_formula_is_still_kept_a_string(client, p, media):
    d = at_state(p, State.UNIT_REVIEW)
    stored_as(d, name="\x01=HYPERLINK(\"http://example.com\",\"点我\")")
    client.force_login(p.chen)
    [_, row] = exported_rows(client, reverse("review:unit_queue"))
    assert row[2] == "'=HYPERLINK(\"http://example.com\",\"点我\")"


def test_the_materials_zip_carries_no_control_character_in_its_names(client, p, media):
    d = draft(p.song)
    year_with_training(d, p.song)
    attach_general_files(d, p.song)  # 学历证书.pdf and 学时证明.png
    d = transitions.declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    stored_as(d, name="宋\x0b庆\x1b涛")
    Evidence.objects.filter(declaration=d, category=EvidenceCategory.EDUCATION).update(original_name="学位\x01证书.pdf")
    client.force_login(p.chen)
    response = client.get(reverse("review:case_zip", args=[d.pk]))
    assert response.status_code == 200
    filename = unquote(response["Content-Disposition"].split("''", 1)[1])
    assert filename == f"{d.business_no}-宋 庆涛-材料.zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert "学历信息/学位证书.pdf" in names
    assert not any(ch < " " for name in names for ch in name)
