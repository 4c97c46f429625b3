"""Form errors reach screen readers: a summary in a role="alert" box naming each field with its
error and linking to it, and each field marked aria-invalid and pointing (aria-describedby) at its
own error text and help text, with ids that exist."""
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
    assert re.search(r'<div class="form-errors" role="alert"><p>请按提示修改标红的内容后重新提交。</p><ul class="error-list">', html)
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


def summary_of(html):
    """The error summary's lines: (link target or None, text)."""
    box = re.search(r'<div class="form-errors"[^>]*role="alert"[^>]*>(.*?)</div>', html, flags=re.S)[1]
    lines = []
    for item in re.findall(r"<li>(.*?)</li>", box, flags=re.S):
        target = re.search(r'<a href="#([^"]+)">', item)
        lines.append((target[1] if target else None, re.sub(r"<[^>]+>", "", item)))
    return lines


def test_the_summary_names_each_field_with_its_error_and_links_to_it(client, demo):
    client.force_login(demo.account("applicant"))
    html = client.post("/hours/new/", {"name": "宋庆涛", "phone": "12"}).content.decode()
    lines = summary_of(html)
    named = dict((text.split("：", 1)[0], (target, text)) for target, text in lines)
    assert named["联系电话"][1].startswith("联系电话：") and named["联系电话"][0] == "id_phone"
    assert named["子专业名称"] == ("id_specialty", "子专业名称：这个字段是必填项。")
    for target, _ in lines:  # every link leads to a field of the page
        assert re.search(rf'<(?:input|select|textarea)[^>]*id="{target}"', html), target
    # In the order of the form, one line per error; the phrase the journeys look for is still there.
    assert len(lines) == sum(errors.count("<p>") for errors in re.findall(r'<div class="error" id="[^"]+_error">(.*?)</div>', html, flags=re.S)) == 8
    assert "请按提示修改标红的内容后重新提交。" in html


def test_a_radio_groups_error_links_to_its_first_choice(client, demo):
    from tests.hours.fixtures_views import people, submitted

    p = people(demo)
    declaration = submitted(p.song)
    client.force_login(p.chen)
    html = client.post(f"/review/case/{declaration.pk}/", {"decision": "approve", "next_type": "", "opinion": ""}, follow=True).content.decode()
    lines = summary_of(html)
    assert lines and all(target for target, _ in lines), lines
    for target, _ in lines:
        assert re.search(rf'<input[^>]*id="{target}"', html), target


def test_a_forms_own_message_comes_first_and_is_not_named(client, demo):
    """The sign-in form's refusal is the form's, not a field's: it is said as it is, without a list."""
    response = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    html = response.content.decode()
    box = re.search(r'<div class="form-errors"[^>]*role="alert"[^>]*>(.*?)</div>', html, flags=re.S)[1]
    assert box.startswith("<p>") and "error-list" not in box
