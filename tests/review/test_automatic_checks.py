"""校验规则 (review/checks.py) line by line, as the case page lists them: the applicant's own work
counted again (matched by its form and its identity, in their declarations only), a file used again
(by someone else, or by the same person for another year; once per declaration), and a work claimed
with the same rank by someone else (two first authors). Each check looks up only what can match."""
import pytest

from hours import selectors as hours_selectors, services
from hours.models import EvidenceCategory, Item
from review import checks
from tests.hours.fixtures_views import *  # noqa: F401,F403 - the fixtures (p, media)
from tests.hours.fixtures_views import TRAINING, add_item, draft, pdf, pdf_bytes
from tests.review.case_pages import lines_of

pytestmark = pytest.mark.usefixtures("media")

PAPER = {"author_rank": 1, "title": "湘西铅锌矿成矿规律研究"}
SECOND = {"author_rank": 1, "title": "洞庭湖湿地水文过程"}
PATENT = {"rank": 1, "number": "ZL202310001234.5"}  # no title: named by its number


def line(d, label):
    """The one line of the check called `label`."""
    found = [text for text in lines_of(checks.automatic_checks(d, hours_selectors.declaration_workspace(d)))
             if text[2:].partition("：")[0] == label]
    assert len(found) == 1, found
    return found[0]


def declaration_of(user, year, *works):
    """`user`'s draft for `year` with these (activity, facts) items, in this order; and its year."""
    d = draft(user, start_year=year, end_year=year)
    record = services.year_record_add(declaration=d, user=user, year=year)
    for activity, facts in works:
        add_item(d, user, record, activity=activity, facts={**facts, "year": year})
    return d, record


# --- 成果重复申报: the applicant's own work -----------------------------------------------------------


def test_own_work_in_another_declaration_is_matched_by_its_form_and_identity_only(p):
    earlier, _ = declaration_of(p.song, 2022, ("paper", PAPER), ("paper", SECOND), ("book", PAPER), ("training", TRAINING))
    declaration_of(p.zhao, 2022, ("paper", {**PAPER, "author_rank": 2}))  # someone else's claim: not a repeat of one's own
    # A training first: an item without an identity is passed over, not the end of the look.
    d, _ = declaration_of(p.song, 2023, ("training", TRAINING), ("paper", PAPER))
    assert line(d, "成果重复申报") == f"✘ 成果重复申报：“{PAPER['title']}”已在申报{earlier.business_no}的2022年度申报"

    alone, _ = declaration_of(p.song, 2021, ("paper", {"author_rank": 1, "title": "只申报一次的论文"}))
    assert line(alone, "成果未重复申报") == "✔ 成果未重复申报"


def test_each_repeated_work_is_named_declaration_by_declaration(p):
    first, first_year = declaration_of(p.song, 2021, ("paper", PAPER))
    second, _ = declaration_of(p.song, 2022, ("paper", SECOND))
    add_item(first, p.song, first_year, activity="paper", facts={**SECOND, "year": 2021})  # stored after the second's
    d, _ = declaration_of(p.song, 2023, ("paper", PAPER), ("paper", SECOND))
    assert line(d, "成果重复申报") == (
        f"✘ 成果重复申报：“{PAPER['title']}”已在申报{first.business_no}的2021年度申报；"
        f"“{SECOND['title']}”已在申报{first.business_no}的2021年度申报；“{SECOND['title']}”已在申报{second.business_no}的2022年度申报")


def test_a_work_in_two_years_is_reported_beside_a_work_counted_once(p):
    d = draft(p.song, start_year=2022, end_year=2023)
    for year, works in ((2022, [PAPER]), (2023, [PAPER, SECOND])):
        record = services.year_record_add(declaration=d, user=p.song, year=year)
        for facts in works:
            add_item(d, p.song, record, activity="paper", facts={**facts, "year": year})
    assert line(d, "成果重复申报") == f"✘ 成果重复申报：“{PAPER['title']}”同时计入2022、2023年度"


def test_a_patent_without_a_title_is_named_by_its_number_as_typed(p):
    earlier, _ = declaration_of(p.song, 2022, ("invention_patent", PATENT))
    d = draft(p.song, start_year=2023, end_year=2024)
    for year in (2023, 2024):  # typed differently, the same patent
        record = services.year_record_add(declaration=d, user=p.song, year=year)
        add_item(d, p.song, record, activity="invention_patent", facts={**PATENT, "year": year, "number": PATENT["number"] if year == 2023 else "zl202310001234.5"})
    assert line(d, "成果重复申报") == (
        f"✘ 成果重复申报：“{PATENT['number']}”同时计入2023、2024年度；“{PATENT['number']}”已在申报{earlier.business_no}的2022年度申报")


def test_a_title_stored_with_a_character_now_refused_is_still_compared(p):
    """Typed before the form refused control characters: the check reads it as the export does."""
    earlier, _ = declaration_of(p.song, 2022, ("paper", PAPER))
    d, _ = declaration_of(p.song, 2023, ("invention_patent", PATENT), ("paper", PAPER))
    Item.objects.filter(year_record__declaration=d, activity="paper").update(facts={**PAPER, "title": PAPER["title"] + "\x07", "year": 2023})
    # A patent stored without its number cannot be identified: passed over, not the end of the look.
    Item.objects.filter(year_record__declaration=d, activity="invention_patent").update(facts={"rank": 1, "year": 2023})
    assert line(d, "成果重复申报") == f"✘ 成果重复申报：“{PAPER['title']}”已在申报{earlier.business_no}的2022年度申报"


# --- 佐证材料: a file used again --------------------------------------------------------------------


def file_for(d, user, record, name, data):
    item = add_item(d, user, record)
    services.evidence_add(declaration=d, user=user, category=EvidenceCategory.ITEM, item=item, material="completion_certificate",
                          upload=pdf(name, data))


def test_a_declaration_without_files_repeats_none(p):
    d, _ = declaration_of(p.song, 2023, ("training", TRAINING))
    assert line(d, "佐证材料未与他人或其他年度重复") == "✔ 佐证材料未与他人或其他年度重复"


def test_a_file_for_two_years_of_one_declaration_is_named_by_its_first_upload(p):
    same = pdf_bytes()
    d = draft(p.song, start_year=2022, end_year=2023)
    for year in (2022, 2023):
        file_for(d, p.song, services.year_record_add(declaration=d, user=p.song, year=year), f"结业证书{year}.pdf", same)
    assert line(d, "佐证材料重复使用") == "✘ 佐证材料重复使用：“结业证书2022.pdf”在本申报中同时用于2022、2023年度"


def test_a_file_used_again_by_someone_else_or_for_another_year_is_named_once_per_declaration(p):
    same = pdf_bytes()
    d, record = declaration_of(p.song, 2023)
    file_for(d, p.song, record, "结业证书.pdf", same)
    other_year, other_record = declaration_of(p.song, 2022)
    file_for(other_year, p.song, other_record, "旧证书.pdf", same)
    again = draft(p.song, start_year=2022, end_year=2023)  # the same year declared again: the same use
    again_record = services.year_record_add(declaration=again, user=p.song, year=2023)
    file_for(again, p.song, again_record, "结业证书.pdf", same)
    foreign, foreign_record = declaration_of(p.zhao, 2022)
    file_for(foreign, p.zhao, foreign_record, "证书.pdf", same)
    file_for(foreign, p.zhao, foreign_record, "证书（副本）.pdf", same)  # twice there: named once
    assert line(d, "佐证材料重复使用") == (
        f"✘ 佐证材料重复使用：“结业证书.pdf”与{p.song.name}（{other_year.business_no}）2022年度的材料相同；"
        f"“结业证书.pdf”与赵金强（{foreign.business_no}）的材料相同")


# --- 成果署名冲突: the same work claimed with the same rank by someone else --------------------------


def test_each_work_claimed_with_the_same_rank_by_someone_else_is_named(p):
    theirs, _ = declaration_of(p.zhao, 2023, ("paper", PAPER), ("paper", SECOND), ("invention_patent", PATENT))
    d, _ = declaration_of(p.song, 2023, ("paper", PAPER), ("paper", SECOND), ("invention_patent", PATENT))
    who = f"赵金强（{theirs.business_no}）"
    assert line(d, "成果署名冲突") == (
        f"✘ 成果署名冲突：“{PAPER['title']}”：{who}也申报为第1位；“{SECOND['title']}”：{who}也申报为第1位；"
        f"“{PATENT['number']}”：{who}也申报为第1位")


def test_a_claim_stored_without_its_rank_conflicts_with_nobody(p):
    theirs, _ = declaration_of(p.zhao, 2023, ("paper", PAPER))
    Item.objects.filter(year_record__declaration=theirs).update(facts={"title": PAPER["title"], "year": 2023})
    d, _ = declaration_of(p.song, 2023, ("paper", PAPER))
    assert line(d, "成果未与他人冲突") == "✔ 成果未与他人冲突"


def test_a_titled_work_without_a_rank_is_not_looked_up_and_passes(p):
    d, _ = declaration_of(p.song, 2023, ("research_project", {"level": "provincial", "role": "host", "title": "湘江流域治理研究"}))
    assert line(d, "成果未与他人冲突") == "✔ 成果未与他人冲突"


def test_many_other_works_do_not_hide_the_one_that_conflicts(p):
    """The look-up is for this work's form and title: fifty books of that title, or fifty other
    papers, stored before the paper that conflicts, do not push it out of the first fifty found."""
    theirs, record = declaration_of(p.zhao, 2023)
    Item.objects.bulk_create(
        [Item(year_record=record, applicant=p.zhao, activity="book", facts={**PAPER, "year": 2023}, title=PAPER["title"],
              identity_key=f"book-{n}", professional_hours=10, counted_year=2023) for n in range(50)]
        + [Item(year_record=record, applicant=p.zhao, activity="paper", facts={**PAPER, "title": f"论文{n}", "year": 2023},
                title=f"论文{n}", identity_key=f"论文{n}", professional_hours=10, counted_year=2023) for n in range(50)]
    )
    add_item(theirs, p.zhao, record, activity="paper", facts={**PAPER, "year": 2023})
    d, _ = declaration_of(p.song, 2023, ("paper", PAPER))
    assert line(d, "成果署名冲突") == f"✘ 成果署名冲突：“{PAPER['title']}”：赵金强（{theirs.business_no}）也申报为第1位"
