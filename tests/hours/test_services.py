"""Draft editing services (hours/services.py) on the demo province: what may change while a
declaration is a draft, the hours the rules engine gives, deletion, declaring on a person's
behalf, and claiming imported training records."""
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from hours import services
from hours.models import Declaration, Evidence, EvidenceCategory, Item, ItemSource, TrainingRecord, YearRecord
from workflow.models import Action, State
from hours.models import ReviewStep
from hours.transitions import declaration_approve, declaration_submit, declaration_withdraw
from workflow.runner import WorkflowError
from tests.hours.fixtures_views import complete, year_with_training

FILES = Path(__file__).resolve().parent / "files"
PROFILE = {
    "gender": "男",
    "ethnicity": "汉族",
    "phone": "18899098765",
    "education": "硕士研究生",
    "title_sought": "高级工程师",
    "category": "工程技术",
    "specialty": "地质勘查",
}
TRAINING = {"subject": "public", "days": 2, "half_days": 0}  # 2 whole days × 8 = 16 public hours
PAPER = {"author_rank": 1, "title": "湘西铅锌矿成矿规律研究"}  # first author = 30 professional hours


@pytest.fixture
def p(demo):
    return SimpleNamespace(
        song=demo.account("applicant"),
        chen=demo.account("applicant_unit_admin"),
        he=demo.account("applicant_pending"),  # 何磊, membership not yet confirmed
        zhao=demo.user("430121198511291051"),
        li=demo.user("430121199002171064"),  # 李雪梅, 湖南省地质研究所
        wang=demo.user("43012119720808109X"),  # 王建国, 湖南省地质测绘院
        dzcl_admin=demo.account("unit_admin"),
        dzy_admin=demo.account("unit_and_dept_admin"),
        zrzy_admin=demo.account("dept_admin"),
        hn_clerk=demo.account("bureau_clerk"),
        dzyjs=demo.org("湖南省地质研究所"),
        dzy=demo.org("湖南省地质院"),
        zrzy=demo.org("湖南省自然资源厅"),
        hn=demo.org("湖南省人力资源和社会保障厅"),
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def draft(user, applicant=None, *, start_year=2019, end_year=2023):
    applicant = applicant or user
    return services.declaration_create(
        user=user, applicant=applicant, data={**PROFILE, "name": applicant.name}, start_year=start_year, end_year=end_year
    )


def upload(name="scan.png", as_name=None):
    return SimpleUploadedFile(as_name or name, (FILES / name).read_bytes())


def totals(declaration):
    row = Declaration.objects.get(pk=declaration.pk)
    return row.total_public, row.total_professional


def year_totals(record):
    row = YearRecord.objects.get(pk=record.pk)
    return row.public_hours, row.professional_hours


def chinese(message):
    return any("\u4e00" <= ch <= "\u9fff" for ch in message)


# --- nothing changes after submission ---------------------------------------------------------------


def test_nothing_is_editable_once_submitted(p, media):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2019)
    item = services.item_add(year_record=record, user=p.song, activity="training", facts=TRAINING)
    evidence = services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.ITEM, upload=upload(), item=item)
    claimable = TrainingRecord.objects.create(
        source=ItemSource.PLATFORM, id_number=p.song.id_number, name=p.song.name, year=2019, title="公需科目网络培训",
        subject="public", hours=Decimal("10"),
    )
    declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    before = (totals(d), Item.objects.count(), YearRecord.objects.count(), Evidence.objects.count(), sorted(media.rglob("*")))

    attempts = {
        "year_record_add": lambda: services.year_record_add(declaration=d, user=p.song, year=2020),
        "year_record_delete": lambda: services.year_record_delete(year_record=record, user=p.song),
        "item_add": lambda: services.item_add(year_record=record, user=p.song, activity="paper", facts=PAPER),
        "item_delete": lambda: services.item_delete(item=item, user=p.song),
        "evidence_add": lambda: services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.HOURS, upload=upload(), year=2019),
        "evidence_delete": lambda: services.evidence_delete(evidence=evidence, user=p.song),
        "declaration_update": lambda: services.declaration_update(declaration=d, user=p.song, data={"phone": "13800000000"}, start_year=2019, end_year=2023),
        "declaration_delete": lambda: services.declaration_delete(declaration=d, user=p.song),
        "training_records_claim": lambda: services.training_records_claim(year_record=record, user=p.song, record_ids=[claimable.pk]),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ValidationError) as caught:
            attempt()
        message = " ".join(caught.value.messages)
        assert "提交后不能修改" in message and "待单位审核" in message, name

    after = (totals(d), Item.objects.count(), YearRecord.objects.count(), Evidence.objects.count(), sorted(media.rglob("*")))
    assert after == before
    assert Declaration.objects.get(pk=d.pk).state == State.UNIT_REVIEW
    assert Declaration.objects.get(pk=d.pk).phone == PROFILE["phone"]
    assert TrainingRecord.objects.get(pk=claimable.pk).item is None


# --- year records ------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2018, 2024, 1999])
def test_year_outside_the_span(p, year):
    d = draft(p.song)
    with pytest.raises(ValidationError) as caught:
        services.year_record_add(declaration=d, user=p.song, year=year)
    assert "2019–2023" in caught.value.messages[0]
    assert not YearRecord.objects.filter(declaration=d).exists()


def test_duplicate_year(p):
    d = draft(p.song)
    services.year_record_add(declaration=d, user=p.song, year=2020)
    with pytest.raises(ValidationError) as caught:
        services.year_record_add(declaration=d, user=p.song, year=2020)
    assert "2020年度明细已存在" in caught.value.messages[0]
    assert YearRecord.objects.filter(declaration=d).count() == 1


# --- items and the hours the engine gives ----------------------------------------------------------------


def test_item_hours_and_totals_come_from_the_engine_and_follow_deletes(p):
    d = draft(p.song)
    y2019 = services.year_record_add(declaration=d, user=p.song, year=2019)
    y2020 = services.year_record_add(declaration=d, user=p.song, year=2020)

    training = services.item_add(year_record=y2019, user=p.song, activity="training", facts={**TRAINING, "title": "地质安全培训"})
    assert (training.public_hours, training.professional_hours) == (Decimal("16"), Decimal("0"))
    assert training.title == "地质安全培训" and training.counted_year == 2019 and training.source == ItemSource.APPLICANT
    paper = services.item_add(year_record=y2019, user=p.song, activity="paper", facts=PAPER)
    assert (paper.public_hours, paper.professional_hours) == (Decimal("0"), Decimal("30"))
    course = services.item_add(
        year_record=y2020, user=p.song, activity="training", facts={"subject": "professional", "days": 1, "half_days": 1}
    )
    assert course.professional_hours == Decimal("12")

    assert year_totals(y2019) == (Decimal("16"), Decimal("30"))
    assert year_totals(y2020) == (Decimal("0"), Decimal("12"))
    assert totals(d) == (Decimal("16"), Decimal("42"))
    assert Declaration.objects.get(pk=d.pk).total_hours == Decimal("58")

    services.item_delete(item=paper, user=p.song)
    assert year_totals(y2019) == (Decimal("16"), Decimal("0"))
    assert totals(d) == (Decimal("16"), Decimal("12"))

    services.year_record_delete(year_record=y2020, user=p.song)
    assert not Item.objects.filter(pk=course.pk).exists()
    assert totals(d) == (Decimal("16"), Decimal("0"))

    services.item_delete(item=training, user=p.song)
    assert year_totals(y2019) == (Decimal("0"), Decimal("0"))
    assert totals(d) == (Decimal("0"), Decimal("0"))


@pytest.mark.parametrize(
    "activity, facts, field",
    [
        ("training", {**TRAINING, "days": -1}, "days"),
        ("training", {**TRAINING, "days": 10000}, "days"),
        ("training", {**TRAINING, "days": "abc"}, "days"),
        ("training", {**TRAINING, "days": 2.5}, "days"),
        ("training", {"subject": "public", "days": 2}, "half_days"),
        ("training", {**TRAINING, "subject": "其他"}, "subject"),
        ("paper", {"author_rank": 0}, "author_rank"),
        ("paper", {"author_rank": "abc"}, "author_rank"),
        ("paper", {"author_rank": -3}, "author_rank"),
        ("online_course", {"subject": "public", "hours": "NaN"}, "hours"),
        ("online_course", {"subject": "public", "hours": "1e400"}, "hours"),
        ("no_such_activity", {}, "__all__"),
        ("training", None, "__all__"),
    ],
)
def test_absurd_facts_are_refused(p, activity, facts, field):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2019)
    services.item_add(year_record=record, user=p.song, activity="training", facts=TRAINING)
    with pytest.raises(ValidationError) as caught:
        services.item_add(year_record=record, user=p.song, activity=activity, facts=facts)
    if field != "__all__":
        assert field in caught.value.message_dict
    assert all(chinese(m) for m in caught.value.messages)
    assert Item.objects.filter(year_record=record).count() == 1
    assert totals(d) == (Decimal("16"), Decimal("0"))


def test_item_counted_in_another_year_goes_to_that_year(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2019)
    with pytest.raises(ValidationError) as caught:
        services.item_add(year_record=record, user=p.song, activity="paper", facts={**PAPER, "year": 2021})
    assert "2021年度" in caught.value.messages[0]
    assert not Item.objects.exists()


# --- the declaration itself ----------------------------------------------------------------------------


@pytest.mark.parametrize("start, end", [(2019, 2018), (1999, 2003), (2022, 2099), (None, 2020)])
def test_declaration_span_is_checked(p, start, end):
    with pytest.raises(ValidationError) as caught:
        draft(p.song, start_year=start, end_year=end)
    assert chinese(caught.value.messages[0])
    assert not Declaration.objects.exists()


def test_declaration_update_keeps_the_identity_and_the_declared_years(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2019)
    services.item_add(year_record=record, user=p.song, activity="training", facts=TRAINING)  # an empty year would go with the span
    updated = services.declaration_update(
        declaration=d, user=p.song, data={"phone": "13800001111", "id_number": "110101199003076516"}, start_year=2019, end_year=2022
    )
    row = Declaration.objects.get(pk=d.pk)
    assert (row.phone, row.end_year, row.id_number) == ("13800001111", 2022, p.song.id_number)
    assert updated.end_year == 2022
    with pytest.raises(ValidationError) as caught:
        services.declaration_update(declaration=d, user=p.song, data={}, start_year=2020, end_year=2022)
    assert "2019" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        services.declaration_update(declaration=d, user=p.song, data={}, start_year=2022, end_year=2020)
    assert (Declaration.objects.get(pk=d.pk).start_year, Declaration.objects.get(pk=d.pk).end_year) == (2019, 2022)


def test_a_never_submitted_draft_can_be_deleted_with_its_files(p, media, django_capture_on_commit_callbacks):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2019)
    item = services.item_add(year_record=record, user=p.song, activity="training", facts=TRAINING)
    claimed = TrainingRecord.objects.create(
        source=ItemSource.PLATFORM, id_number=p.song.id_number, name=p.song.name, year=2019, title="网络培训",
        subject="public", hours=Decimal("6"),
    )
    services.training_records_claim(year_record=record, user=p.song, record_ids=[claimed.pk])
    files = [
        services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.ITEM, upload=upload(), item=item),
        services.evidence_add(declaration=d, user=p.song, category=EvidenceCategory.EDUCATION, upload=upload("certificate.pdf")),
    ]
    paths = [Path(e.file.path) for e in files]
    assert all(path.exists() for path in paths)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.declaration_delete(declaration=d, user=p.song)
        assert all(path.exists() for path in paths), "files stay until the transaction commits"
    for callback in callbacks:
        callback()
    assert not any(path.exists() for path in paths)
    assert not Declaration.objects.filter(pk=d.pk).exists()
    assert not Evidence.objects.exists() and not Item.objects.exists()
    assert TrainingRecord.objects.get(pk=claimed.pk).item is None, "the record can be claimed again"


def test_a_once_submitted_declaration_cannot_be_deleted(p):
    d = draft(p.song)
    year_with_training(d, p.song)
    declaration_submit(declaration=complete(d), user=p.song, pledge=True)
    d = declaration_withdraw(declaration=d, user=p.song)
    assert d.state == State.DRAFT
    with pytest.raises(ValidationError) as caught:
        services.declaration_delete(declaration=d, user=p.song)
    assert "已提交过" in caught.value.messages[0]
    assert Declaration.objects.filter(pk=d.pk).exists()
    assert ReviewStep.objects.filter(declaration_id=d.pk).count() == 2


# --- declaring on a person's behalf -------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_org, state",
    [("dzy", State.SUPERIOR_REVIEW), ("zrzy", State.SUPERIOR_REVIEW), ("hn", State.BUREAU_REVIEW)],
)
def test_unit_admin_declares_for_a_member_of_the_unit(p, next_org, state):
    d = draft(p.chen, p.li)
    assert (d.applicant, d.declared_by, d.organisation) == (p.li, p.chen, p.dzyjs)
    assert (d.name, d.id_number) == ("李雪梅", p.li.id_number)
    record = services.year_record_add(declaration=d, user=p.chen, year=2019)
    services.item_add(year_record=record, user=p.chen, activity="training", facts=TRAINING)

    # The person declared for does not edit or send it; the administrator does.
    with pytest.raises(PermissionDenied):
        services.year_record_add(declaration=d, user=p.li, year=2020)
    with pytest.raises(WorkflowError) as caught:
        declaration_submit(declaration=complete(d), user=p.li, pledge=True)
    assert caught.value.code == "forbidden"

    # It skips the unit's own review: the administrator must choose the next level, above the unit.
    for wrong, code in ((None, "next_level_required"), (p.dzyjs, "bad_next_level")):
        with pytest.raises(WorkflowError) as caught:
            declaration_submit(declaration=complete(d), user=p.chen, pledge=True, next_org=wrong)
        assert caught.value.code == code
    assert Declaration.objects.get(pk=d.pk).state == State.DRAFT

    target = getattr(p, next_org)
    d = declaration_submit(declaration=complete(d), user=p.chen, pledge=True, next_org=target)
    row = Declaration.objects.get(pk=d.pk)
    assert (row.state, row.current_org) == (state, target)
    step = ReviewStep.objects.get(declaration=d)
    assert (step.action, step.actor, step.actor_role, step.organisation, step.from_state, step.to_state, step.next_org) == (
        Action.SUBMIT, p.chen, "unit_admin", p.dzyjs, State.DRAFT, state, target,
    )

    # The chosen level reviews it; the administrator who declared it may withdraw it, the person may not.
    with pytest.raises(WorkflowError):
        declaration_withdraw(declaration=d, user=p.li)
    reviewer = {"dzy": p.dzy_admin, "zrzy": p.zrzy_admin, "hn": p.hn_clerk}[next_org]
    if state == State.BUREAU_REVIEW:
        d = declaration_approve(declaration=d, user=reviewer)
        assert Declaration.objects.get(pk=d.pk).state == State.APPROVED
    else:
        d = declaration_withdraw(declaration=d, user=p.chen)
        assert Declaration.objects.get(pk=d.pk).state == State.DRAFT


def test_superior_admin_may_declare_for_a_unit_below(p):
    d = draft(p.dzy_admin, p.song)
    assert (d.declared_by, d.organisation) == (p.dzy_admin, p.dzyjs)
    year_with_training(d, p.dzy_admin)
    d = declaration_submit(declaration=complete(d), user=p.dzy_admin, pledge=True, next_org=p.zrzy)
    assert Declaration.objects.get(pk=d.pk).current_org == p.zrzy


@pytest.mark.parametrize(
    "user, applicant",
    [
        ("chen", "wang"),  # a unit admin for staff of another unit
        ("dzcl_admin", "song"),  # and the other way round
        ("song", "li"),  # a colleague without any admin role
        ("hn_clerk", "song"),  # a bureau clerk
    ],
)
def test_no_declaring_for_people_outside_ones_units(p, user, applicant):
    with pytest.raises(PermissionDenied):
        draft(getattr(p, user), getattr(p, applicant))
    assert not Declaration.objects.exists()


def test_a_person_whose_unit_has_not_confirmed_cannot_declare(p):
    with pytest.raises(ValidationError) as caught:
        draft(p.he)
    assert "尚未确认" in caught.value.messages[0]


# --- claiming imported training records -------------------------------------------------------------------


def record_for(person, *, year=2019, title="专业技术人员公需科目培训", subject="public", hours="10", source=ItemSource.PLATFORM):
    return TrainingRecord.objects.create(
        source=source, id_number=person.id_number, name=person.name, year=year, title=title, subject=subject,
        hours=Decimal(hours), certificate_no=f"ZS-{year}-{title[:4]}",
    )


def test_claiming_own_records_of_the_year(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2019)
    services.item_add(year_record=record, user=p.song, activity="training", facts=TRAINING)
    public = record_for(p.song)
    professional = record_for(p.song, title="地质灾害防治研修班", subject="professional", hours="24.5", source=ItemSource.TRAINING_BASE)

    items = services.training_records_claim(year_record=record, user=p.song, record_ids=[public.pk, professional.pk])
    assert len(items) == 2
    by_title = {i.title: i for i in Item.objects.filter(year_record=record, title__in=[public.title, professional.title])}
    first, second = by_title[public.title], by_title[professional.title]
    assert (first.public_hours, first.professional_hours, first.source) == (Decimal("10"), Decimal("0"), ItemSource.PLATFORM)
    assert (second.public_hours, second.professional_hours, second.source) == (Decimal("0"), Decimal("24.5"), ItemSource.TRAINING_BASE)
    assert first.counted_year == 2019 and first.reference_no == public.certificate_no
    assert TrainingRecord.objects.get(pk=public.pk).item == first
    assert year_totals(record) == (Decimal("26"), Decimal("24.5"))
    assert totals(d) == (Decimal("26"), Decimal("24.5"))

    # Deleting the item gives the record back.
    services.item_delete(item=second, user=p.song)
    assert TrainingRecord.objects.get(pk=professional.pk).item is None
    assert totals(d) == (Decimal("26"), Decimal("0"))


def test_claiming_another_persons_or_another_years_record_is_refused(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2019)
    own = record_for(p.song)
    for other in (record_for(p.zhao), record_for(p.song, year=2020), record_for(p.song, year=2018, title="旧培训")):
        with pytest.raises(ValidationError) as caught:
            services.training_records_claim(year_record=record, user=p.song, record_ids=[own.pk, other.pk])
        assert "不属于本人该年度" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        services.training_records_claim(year_record=record, user=p.song, record_ids=[own.pk, 999999])
    assert not Item.objects.exists()
    assert TrainingRecord.objects.get(pk=own.pk).item is None
    assert totals(d) == (Decimal("0"), Decimal("0"))


def test_claiming_twice_is_refused_with_the_title(p):
    d = draft(p.song)
    record = services.year_record_add(declaration=d, user=p.song, year=2019)
    once = record_for(p.song, title="2019年公需科目在线学习")
    services.training_records_claim(year_record=record, user=p.song, record_ids=[once.pk])
    with pytest.raises(ValidationError) as caught:
        services.training_records_claim(year_record=record, user=p.song, record_ids=[once.pk])
    assert "2019年公需科目在线学习" in caught.value.messages[0] and "不能重复选择" in caught.value.messages[0]

    # Nor in a second declaration of the same person.
    other = draft(p.song, start_year=2019, end_year=2020)
    other_record = services.year_record_add(declaration=other, user=p.song, year=2019)
    with pytest.raises(ValidationError) as caught:
        services.training_records_claim(year_record=other_record, user=p.song, record_ids=[once.pk])
    assert "2019年公需科目在线学习" in caught.value.messages[0]
    assert Item.objects.count() == 1
    assert totals(d) == (Decimal("10"), Decimal("0")) and totals(other) == (Decimal("0"), Decimal("0"))
