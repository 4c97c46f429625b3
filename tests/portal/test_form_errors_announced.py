"""Form errors reach screen readers: a summary in a role="alert" box, and each field marked
aria-invalid and pointing (aria-describedby) at its own error text and help text, with ids that exist."""
import re

import pytest

pytestmark = pytest.mark.django_db


def described_by(html, name):
    tag = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in tag, tag
    ids = re.search(r'aria-describedby="([^"]+)"', tag)[1].split()
    return {i: re.search(rf'id="{i}"[^>]*>(.*?)</', html, flags=re.S)[1] if f'id="{i}"' in html else None for i in ids}


def test_a_refused_form_names_its_errors_for_screen_readers(client, demo):
    client.force_login(demo.account("applicant"))
    html = client.post("/hours/new/", {"name": "宋庆涛", "phone": "12"}).content.decode()
    assert re.search(r'<div class="form-errors" role="alert"><p>请按提示修改标红的内容后重新提交。</p></div>', html)
    texts = described_by(html, "specialty")
    assert texts == {"id_specialty_error": "<p>这个字段是必填项。"}
    texts = described_by(html, "phone")
    assert all(texts.values()) and list(texts) == ["id_phone_error"]


def test_help_text_and_error_are_both_described(client, demo):
    """The queue filter: a year out of range is announced with the summary, and the field names it."""
    client.force_login(demo.account("unit_admin"))
    html = client.get("/review/unit/", {"year": "1800"}).content.decode()
    assert 'class="form-errors" role="alert"' in html
    assert list(described_by(html, "year")) == ["id_year_error"]


def test_radio_groups_are_fieldsets_named_by_their_legend(client, demo):
    from tests.hours.fixtures_views import people, submitted

    p = people(demo)
    declaration = submitted(p.song)
    client.force_login(p.chen)
    # The decision is the button pressed; a refused one is shown on the case page it redirects to.
    html = client.post(f"/review/case/{declaration.pk}/", {"decision": "reject", "opinion": ""}, follow=True).content.decode()
    fieldset = re.search(r'<fieldset class="field choice-group"[^>]*>\s*<legend>审核上级单位类型</legend>', html)
    assert fieldset
    assert described_by(html, "opinion") == {"id_opinion_helptext": "审核不通过时必填，将告知申请人", "id_opinion_error": "<p>审核不通过时必须填写原因。"}
