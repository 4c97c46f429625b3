"""The data migrations of issue 16's policy corrections, run on rows as they were stored before."""
import copy
import importlib

import pytest
from django.utils import timezone
from django.apps import apps as django_apps

from hours import services
from hours.models import Declaration, Item, RuleSet, RuleSetChange, YearRecord
from workflow.models import State
from tests.hours.fixtures_views import *  # noqa: F401,F403

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

rule_sets_update = importlib.import_module("hours.migrations.0007_rule_sets_policy_corrections")
months_derive = importlib.import_module("hours.migrations.0008_derived_months_away")


def henan_draft(user, **kwargs):
    """2023 of a Henan declaration, beside any the person has open (2023, then 2022–2023, …)."""
    start = 2023 - Declaration.objects.filter(applicant=user).count()
    return services.declaration_create(
        user=user, applicant=user, data={**PROFILE, "name": user.name}, start_year=start, end_year=2023,
        rule_set=RuleSet.objects.get(code="henan-2024"), **kwargs,
    )


def test_an_untouched_stored_rule_set_is_replaced_and_an_edited_one_is_left(monkeypatch):
    hunan, henan = RuleSet.objects.get(code="hunan-2024"), RuleSet.objects.get(code="henan-2024")
    shipped = copy.deepcopy(hunan.data)
    old = copy.deepcopy(shipped)
    old["activities"]["paper"].pop("identity")
    edited = copy.deepcopy(henan.data)
    edited["activities"]["other"]["note"] = "本省另有规定"
    RuleSet.objects.filter(pk=hunan.pk).update(data=old)
    RuleSet.objects.filter(pk=henan.pk).update(data=edited)
    monkeypatch.setattr(rule_sets_update, "PREVIOUS", {
        "hunan-2024": rule_sets_update.fingerprint(old),
        "henan-2024": rule_sets_update.fingerprint(copy.deepcopy(shipped)),  # not what is stored
    })
    rule_sets_update.update(django_apps, None)
    assert RuleSet.objects.get(pk=hunan.pk).data == shipped
    change = RuleSetChange.objects.filter(rule_set=hunan).first()
    assert change.before == old and change.after == shipped and "随版本更新" in change.note
    assert RuleSet.objects.get(pk=henan.pk).data == edited
    assert not RuleSetChange.objects.filter(rule_set=henan, note__startswith="随版本更新").exists()


def test_months_away_are_cleared_where_there_is_no_proration_and_derived_in_henan_drafts(p):
    hunan = draft(p.song)
    hunan_year = services.year_record_add(declaration=hunan, user=p.song, year=2023)
    henan = henan_draft(p.song)
    henan_year = services.year_record_add(declaration=henan, user=p.song, year=2023)
    services.item_add(year_record=henan_year, user=p.song, activity="absence", facts={"reason": "maternity", "months_away": 4})
    sent = henan_draft(p.zhao)
    sent_year = services.year_record_add(declaration=sent, user=p.zhao, year=2023)
    services.item_add(year_record=sent_year, user=p.zhao, activity="training", facts={"hours": 60, "title": "研修"})
    workflow_submit(sent, p.zhao)
    # as typed beside the year before: 3 months in Hunan, 9 in the Henan draft, 5 in the one sent
    YearRecord.objects.filter(pk=hunan_year.pk).update(months_away=3)
    YearRecord.objects.filter(pk=henan_year.pk).update(months_away=9)
    YearRecord.objects.filter(pk=sent_year.pk).update(months_away=5)
    months_derive.derive(django_apps, None)
    months = dict(YearRecord.objects.values_list("pk", "months_away"))
    assert (months[hunan_year.pk], months[henan_year.pk], months[sent_year.pk]) == (0, 4, 5)


def workflow_submit(declaration, user):
    from hours import transitions

    d = transitions.declaration_submit(declaration=complete(declaration), user=user, pledge=True)
    assert d.state == State.UNIT_REVIEW


identity_fill = importlib.import_module("hours.migrations.0010_item_identity_fill")


def test_stored_items_get_their_identity_and_a_double_click_before_the_fix_keeps_its_rows(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2023)
    first = services.item_add(year_record=record, user=p.song, activity="paper", facts={"author_rank": 1, "title": "Ａ论文"})
    # as stored before the fix: no keys, the same paper twice, a paper without its title, a training
    twice = Item.objects.create(year_record=record, applicant=p.song, activity="paper", facts={"author_rank": 1, "title": "a论文 "},
                                professional_hours=30, counted_year=2023)
    untitled = Item.objects.create(year_record=record, applicant=p.song, activity="paper", facts={"author_rank": 2},
                                   professional_hours=10, counted_year=2023)
    Item.objects.update(identity_key="")
    training = services.item_add(year_record=record, user=p.song, activity="training", facts=TRAINING)
    identity_fill.fill(django_apps, None)
    keys = dict(Item.objects.values_list("pk", "identity_key"))
    assert (keys[first.pk], keys[twice.pk], keys[untitled.pk], keys[training.pk]) == ("a论文", "", "", "")
    assert Item.objects.count() == 4  # nobody's rows are deleted


determined_reset = importlib.import_module("hours.migrations.0012_item_determined_at")


def legacy_other(d, user, hours):
    """A 其他类别 item as stored when applicants typed its hours."""
    record = d.year_records.get()
    item = Item.objects.create(year_record=record, applicant=user, activity="other", facts={"hours": str(hours), "title": "技术指导"},
                               title="技术指导", professional_hours=hours, counted_year=2023)
    services._recompute(d)
    return item


def test_typed_hours_of_reviewer_determined_items_stand_only_where_approved(p):
    from hours import transitions

    pending = henan_draft(p.song)
    services.year_record_add(declaration=pending, user=p.song, year=2023)
    waiting = legacy_other(pending, p.song, 40)
    pending = transitions.declaration_submit(declaration=complete(pending), user=p.song, pledge=True)
    done = henan_draft(p.zhao)
    services.year_record_add(declaration=done, user=p.zhao, year=2023)
    approved = legacy_other(done, p.zhao, 20)
    done = transitions.declaration_submit(declaration=complete(done), user=p.zhao, pledge=True)
    done = transitions.declaration_approve(declaration=done, user=p.chen, next_org=p.hn)
    # Approved as before determination was recorded: the typed hours stood, nothing marked them set.
    Item.objects.filter(pk=approved.pk).update(determined_at=timezone.now())
    done = transitions.declaration_approve(declaration=done, user=p.hn_clerk)
    Item.objects.filter(pk=approved.pk).update(determined_at=None)
    determined_reset.reset(django_apps, None)
    waiting, approved = Item.objects.get(pk=waiting.pk), Item.objects.get(pk=approved.pk)
    assert (waiting.professional_hours, waiting.determined_at, waiting.facts) == (0, None, {"title": "技术指导"})
    assert pending.__class__.objects.get(pk=pending.pk).total_professional == 0
    assert (approved.professional_hours, approved.facts) == (20, {"title": "技术指导"})
    assert approved.determined_at == done.__class__.objects.get(pk=done.pk).decided_at
    assert done.__class__.objects.get(pk=done.pk).total_professional == 20


records_add = importlib.import_module("hours.migrations.0024_rule_set_records")


def test_records_are_added_to_a_stored_rule_set_lacking_them_and_an_edited_section_is_left():
    hunan, henan = RuleSet.objects.get(code="hunan-2024"), RuleSet.objects.get(code="henan-2024")
    shipped = copy.deepcopy(hunan.data)
    before = {k: v for k, v in shipped.items() if k != "records"}
    before["requirement"] = {"public": 24, "professional": 48, "total": 72}  # an administrator's edit elsewhere
    edited = {**copy.deepcopy(henan.data), "records": {"hours_per_day": 10, "recognised": {"platform": "本省规定"}}}
    RuleSet.objects.filter(pk=hunan.pk).update(data=before)
    RuleSet.objects.filter(pk=henan.pk).update(data=edited)
    records_add.add_records(django_apps, None)
    after = RuleSet.objects.get(pk=hunan.pk).data
    assert after == {**before, "records": shipped["records"]}
    change = RuleSetChange.objects.filter(rule_set=hunan).latest("pk")
    assert change.before == before and change.after == after and "随版本更新" in change.note
    assert RuleSet.objects.get(pk=henan.pk).data == edited
    assert not RuleSetChange.objects.filter(rule_set=henan, note__contains="直接认定").exists()
