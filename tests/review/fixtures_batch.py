"""Declarations waiting at the bureau for the batch tests and the batch journey, brought there
through the services and the workflow (tests/hours/fixtures_views.py): a clean one passes every
automatic check (review/checks.py automatic_checks); a flagged one carries a file another
applicant has used too (佐证材料重复使用), which no transition refuses."""
from hours import services, transitions
from hours.models import EvidenceCategory
from tests.hours.fixtures_views import add_item, complete, draft, png, png_bytes, year_with_training

# One year's requirement in the Hunan rule set is 公需 30 + 专业 60: 4 days and 8 days of training meet it.
PUBLIC = {"subject": "public", "days": 4, "half_days": 0, "title": "公需科目培训班"}
PROFESSIONAL = {"subject": "professional", "days": 8, "half_days": 0, "title": "地质勘查专业培训"}


def clean_draft(applicant, **span):
    """A complete draft of one year meeting the year's requirement (the first free span unless told)."""
    d = draft(applicant, **span)
    record, _ = year_with_training(d, applicant, year=d.start_year, facts=PUBLIC)
    add_item(d, applicant, record, facts=PROFESSIONAL)
    return d


def to_bureau(p, d, applicant):
    """Submitted, then sent on by the institute (湖南省地质研究所) and 湖南省地质院 to the province's bureau."""
    d = transitions.declaration_submit(declaration=complete(d), user=applicant, pledge=True)
    d = transitions.declaration_approve(declaration=d, user=p.chen, next_org=p.dzy, opinion="同意")
    return transitions.declaration_approve(declaration=d, user=p.dzy_admin, next_org=p.hn, opinion="同意")


def clean_at_bureau(p, applicant, **span):
    return to_bureau(p, clean_draft(applicant, **span), applicant)


def flagged_draft(applicant, *, shared_with, **span):
    """A clean draft but for its 学时上传 scan, the very file `shared_with` (a declaration of
    another applicant) holds too."""
    return share_a_scan(clean_draft(applicant, **span), shared_with)


def share_a_scan(d, shared_with):
    """`d` (editable) given a 学时上传 scan that `shared_with` holds too."""
    same = png_bytes()
    services.evidence_add(declaration=shared_with, user=shared_with.applicant, category=EvidenceCategory.DECLARATION,
                          upload=png("学时证明.png", same))
    services.evidence_add(declaration=d, user=d.applicant, category=EvidenceCategory.HOURS, upload=png("学时证明.png", same))
    return d


def flagged_at_bureau(p, applicant, *, shared_with, **span):
    return to_bureau(p, flagged_draft(applicant, shared_with=shared_with, **span), applicant)
