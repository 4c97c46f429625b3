"""Reads for the declaration pages. Access is one query-level rule per role, never a per-row check."""
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404

from accounts.models import User
from accounts.validators import normalize_id_number
from workflow import jurisdiction
from workflow.models import PENDING_STATES, Action, State
from workflow.runner import next_level_choices

from . import rules
from .models import Declaration, Evidence, EvidenceCategory, Item, TrainingFiling, TrainingRecord, YearRecord
from .policies import determined_activities, determiners, policy_for
from .rules.types import same_value
from .years import previous_certificate_problem

STATUS_FILTERS = {
    "all": ("全部", None),
    "draft": ("待提交", [State.DRAFT]),
    "pending": ("待审核", list(PENDING_STATES)),
    "approved": ("审核通过", [State.APPROVED]),
    "rejected": ("审核不通过", [State.REJECTED]),
}
# Declaration-level materials of the upload dialog (seed step 7); * marks the required ones there.
REQUIRED_CATEGORIES = (EvidenceCategory.EDUCATION, EvidenceCategory.HOURS)


# What every page of a declaration shows with it; the case page and the applicant data form add the
# people (the applicant's account, 受理人). Each joined account is some twenty columns to compile
# and read: the draft workspace, its most frequent page, does without them.
WITH_DECLARATION = ("organisation", "organisation__bureau", "rule_set", "current_org", "declared_by")
PEOPLE = ("applicant", "accepted_by")


def declaration_get_for_user(*, user, pk, people=False):
    """The declaration if the user may see it, else 404 (whether it exists is not revealed)."""
    # get(), not first(): no ORDER BY to compile against the selected columns (a third of this
    # look-up's CPU); the joins are all many-to-one, so one pk gives at most one row.
    related = WITH_DECLARATION + PEOPLE if people else WITH_DECLARATION
    try:
        return Declaration.objects.select_related(*related).get(jurisdiction.declarations_q(user), pk=pk)
    except Declaration.DoesNotExist:
        raise Http404("申报不存在") from None


def evidence_get_for_user(*, user, pk):
    evidence = Evidence.objects.filter(pk=pk).select_related("declaration").first()
    if evidence is None or not Declaration.objects.filter(jurisdiction.declarations_q(user), pk=evidence.declaration_id).exists():
        raise Http404("材料不存在")
    return evidence


def my_declarations(*, user, status="all"):
    label, states = STATUS_FILTERS.get(status, STATUS_FILTERS["all"])
    qs = Declaration.objects.filter(Q(applicant=user) | Q(declared_by=user)).select_related("organisation", "applicant")
    if states:
        qs = qs.filter(state__in=states)
    return qs.order_by("-created_at", "-id")


# What an applicant's step 6 says the same way each time (拟申报职称, 申报大类, 子专业名称): taken
# from their latest declaration when they start a new one.
REPEATED_FIELDS = ("title_sought", "category", "specialty")


def declared_before(applicant):
    """The step-6 answers of the applicant's latest declaration ({} for a first one)."""
    latest = Declaration.objects.filter(applicant=applicant).order_by("-created_at", "-id").values(*REPEATED_FIELDS).first()
    return {k: v for k, v in (latest or {}).items() if v}


def approved_in_span(applicant, start_year, end_year, *, exclude=None):
    """The applicant's approved declarations covering any year of start–end, each with the years it
    shares with that span (`shared`, e.g. "2022–2023"), newest first: a year declared again counts
    from the declaration approved last (certificates.selectors.approved_span)."""
    # With a year in the span that still counts: a declaration whose shared years were all revoked
    # counts no more. The person's declarations first (index decl_applicant), then one look-up each.
    counting = YearRecord.objects.counting().filter(declaration=OuterRef("pk"), year__gte=start_year, year__lte=end_year)
    found = Declaration.objects.filter(
        Exists(counting), applicant=applicant, state=State.APPROVED, start_year__lte=end_year, end_year__gte=start_year
    ).order_by("-decided_at", "-id")
    if exclude is not None:
        found = found.exclude(pk=exclude)
    approved = list(found.only("pk", "business_no", "start_year", "end_year", "decided_at"))
    for d in approved:
        first, last = max(d.start_year, start_year), min(d.end_year, end_year)
        d.shared = str(first) if first == last else f"{first}–{last}"
    return approved


def approving_bureau(declaration):
    """The bureau that approved the declaration: the organisation of its final approval step (the
    unit's bureau for one approved before steps named it)."""
    step = declaration.steps.filter(action=Action.APPROVE, to_state=State.APPROVED).select_related("organisation").last()
    return step.organisation if step and step.organisation else declaration.organisation.approving_bureau()


def revocable_years(declaration):
    """The years of an approved declaration whose approval may still be revoked, in order."""
    if declaration.state != State.APPROVED:
        return []
    return list(declaration.year_records.filter(revocation__isnull=True).order_by("year").values_list("year", flat=True))


def declaration_workspace(declaration):
    """Everything the edit and detail pages show, in a fixed number of queries."""
    policy = policy_for(declaration.rule_set)
    evidence = list(declaration.evidence.all())
    records = list(
        declaration.year_records.select_related("revocation").prefetch_related(
            Prefetch("items", queryset=Item.objects.select_related("training_record__filing", "training_record__source_org").order_by("created_at", "id"))
        )
    )
    by_item = {}
    general = {c.value: [] for c in EvidenceCategory if c != EvidenceCategory.ITEM}
    for e in evidence:
        if e.item_id:
            by_item.setdefault(e.item_id, []).append(e)
        else:
            general.setdefault(e.category, []).append(e)
    open_records = {}
    for tr in (
        TrainingRecord.objects.offered().filter(
            id_number=declaration.id_number, year__in=[r.year for r in records], item__isnull=True
        ).select_related("source_org").order_by("title")
    ):
        open_records.setdefault(tr.year, []).append(tr)
    covered = {}  # year → the earlier certificate that is its evidence
    for e in evidence:
        if e.category == EvidenceCategory.PREVIOUS_CERTIFICATE and e.year and e.year_to:
            # A cover stored before it was bounded (1990–2100) waives nothing; the pages say why.
            e.cover_problem = previous_certificate_problem(e.year, e.year_to)
            if not e.cover_problem:
                for y in range(e.year, e.year_to + 1):
                    covered.setdefault(y, e)
    determined = determined_activities(policy)
    for e in evidence:
        e.material_labels = [policy.materials.get(code, code) for code in e.material_codes]
    years = []
    for record in records:
        check, errors = _year_check(policy, record)
        items = []
        for item in record.items.all():
            files = by_item.get(item.pk, [])
            provided = {code for f in files for code in f.material_codes}
            missing, choices, error, suggested = [], [], "", None
            # Hours the rule set recognises as sent (a platform's, a base's) need no evidence; the
            # applicant's own and those of a source it does not recognise are ordinary items.
            recognised = rules.recognised_basis(policy, item.source)
            if recognised is None and item.activity in policy.activities:
                # Stored facts or materials the rule set (as edited since) no longer accepts are the
                # item's problem, shown beside it: never a failed page.
                try:
                    if record.year not in covered:
                        missing = rules.missing_materials(policy, item.activity, provided, item.facts)
                    choices = rules.material_choices(policy, item.activity, item.facts)
                except rules.RuleError as exc:
                    error = str(exc)
                else:
                    suggested = next_material(policy, item.activity, provided, item.facts) if missing else None
            items.append(
                {"item": item, "label": _activity_label(policy, item.activity), "files": files, "missing": missing,
                 "material_choices": choices, "suggested_material": suggested,
                 "facts": facts_display(policy, item.activity, item.facts), "error": error,
                 "determined": item.activity in determined, "recognised": recognised,
                 "record": getattr(item, "training_record", None)}
            )
        years.append(
            {"record": record, "check": check, "errors": errors, "items": items,
             "training_records": open_records.get(record.year, []), "covered_by_certificate": covered.get(record.year)}
        )
    return {
        "policy": policy,
        "years": years,
        "evidence": evidence,  # every file of the declaration, for the reviewers' checks
        "general_evidence": [(EvidenceCategory(c).label, c, files) for c, files in general.items()],
        "problems": submission_problems(declaration, years=years, general=general),
        "data_problems": stored_data_problems(years),
        "revoked_years": [r.year for r in records if r.revocation_id],  # 撤销认定 (hours.transitions.declaration_revoke)
    }


def next_material(policy, activity, provided, facts):
    """The material to upload next for an item, so the upload form can offer it ticked: the first
    one still missing from the set of materials (the rule set's alternatives, with what the facts
    add) that is nearest to complete; None when a set is complete."""
    act = policy.activities[activity]
    extras = [need for extra in act.extra_materials if same_value(facts.get(extra.fact), extra.equals) for need in extra.require]
    best = None
    for alternative in [[*alt, *extras] for alt in act.materials] or [extras]:
        gaps = [need for need in alternative if not provided.intersection(need)]
        if not gaps:
            return None
        if best is None or len(gaps) < len(best):
            best = gaps
    return best[0][0] if best else None


def _year_check(policy, record):
    """The year's check against the requirement, and what stops it being computed as stored: a
    months-away figure the rule set cannot prorate (e.g. one kept from before Hunan stopped offering
    it) is reported, and the year is checked against the full requirement."""
    try:
        return rules.year_check(policy, record.public_hours, record.professional_hours, months_away=record.months_away), []
    except rules.RuleError as exc:
        check = rules.year_check(policy, record.public_hours, record.professional_hours)
        return check, [f"{record.year}年度学时要求无法按不在岗{record.months_away}个月折算：{exc}"]


def determinable_items(declaration):
    """The items whose hours the reviewer now holding the declaration sets (由审核单位核定), in
    year order, each with how the decision form names it and the most it may get; none when the
    holding organisation is not one the rule set names for them (the applicant's own unit, a
    superior unit, a department that is not provincial)."""
    policy = policy_for(declaration.rule_set)
    determined = determined_activities(policy)
    if not determined or not declaration.is_pending:
        return []
    kinds = determiners(declaration.current_org)
    allowed = [code for code, by in determined.items() if kinds & set(by)]
    if not allowed:
        return []
    items = (
        Item.objects.filter(year_record__declaration=declaration, activity__in=allowed)
        .select_related("year_record")
        .order_by("year_record__year", "created_at", "id")
    )
    return [
        {"item": item, "label": f"{item.year_record.year}年度“{item.title or _activity_label(policy, item.activity)}”",
         "max": policy.activities[item.activity].formula["max"]}
        for item in items
    ]


def facts_display(policy, activity, facts):
    """An item's facts as (中文 label, shown value) pairs, in the rule set's order."""
    act = policy.activities.get(activity)
    if act is None:
        return [(k, v) for k, v in facts.items()]
    shown = []
    for spec in act.facts:
        if spec.name not in facts:
            continue
        value = facts[spec.name]
        if spec.choices:
            value = dict((str(v), label) for v, label in spec.choices).get(str(value), value)
        elif spec.type == "bool":
            value = "是" if value else "否"
        shown.append((spec.label, value))
    return shown


def stored_data_problems(years):
    """What the rules engine cannot compute from the stored years and items, in the applicant's and
    the reviewers' words (the pages show these instead of failing)."""
    problems = []
    for y in years:
        problems.extend(y["errors"])
        for entry in y["items"]:
            if entry["error"]:
                problems.append(f"{y['record'].year}年度“{entry['item'].title or entry['label']}”：{entry['error']}")
    return problems


def _activity_label(policy, code):
    activity = policy.activities.get(code)
    return activity.label if activity else code


def submission_problems(declaration, *, years=None, general=None):
    """What still stops the declaration from being submitted, in the applicant's words."""
    if years is None:
        workspace = declaration_workspace(declaration)
        return workspace["problems"]
    problems = []
    if not years:
        problems.append("尚未填写任何年度明细")
    problems.extend(stored_data_problems(years))
    for y in years:
        if not y["items"]:
            problems.append(f"{y['record'].year}年度尚未填写学习项目")
        for entry in y["items"]:
            for gap in entry["missing"]:
                problems.append(f"{y['record'].year}年度“{entry['item'].title or entry['label']}”{gap}")
    for category in REQUIRED_CATEGORIES:
        if not general.get(category):
            problems.append("请上传学时证明材料（学时上传）" if category == EvidenceCategory.HOURS else f"请上传{EvidenceCategory(category).label}")
    return problems


def submission_levels(declaration, user):
    """Where `user` may send a declaration that starts above its unit (one made on someone's behalf,
    or by their own unit's administrator): {"superiors": [...], "bureau": ...}; None when it simply
    goes to the applicant's unit."""
    if declaration.declared_by_id:
        held = jurisdiction.administering(user, declaration.organisation)
        holder = held[1] if held else None
    elif jurisdiction.administers_unit(user, declaration.organisation_id):
        holder = declaration.organisation
    else:
        holder = None
    if holder is None:
        return None
    superiors, bureau = next_level_choices(declaration, holder)
    return {"superiors": superiors, "bureau": bureau}


def proxy_staff(*, user, query=""):
    """Staff a unit or department administrator may declare for: confirmed members of their units
    (for a department, of every unit below it)."""
    qs = User.objects.filter(jurisdiction.declarable_q(user), id_number__isnull=False).select_related("organisation").order_by("organisation__path", "name")
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(id_number=normalize_id_number(query)))
    return qs


def proxy_declarations(*, user, status="all"):
    label, states = STATUS_FILTERS.get(status, STATUS_FILTERS["all"])
    qs = Declaration.objects.filter(declared_by=user).select_related("organisation", "current_org")
    if states:
        qs = qs.filter(state__in=states)
    return qs.order_by("-created_at", "-id")


def filing_get_for_user(*, user, pk):
    filing = (
        TrainingFiling.objects.filter(jurisdiction.filings_q(user), pk=pk)
        .select_related("organisation", "current_org", "created_by")
        .first()
    )
    if filing is None:
        raise Http404("备案不存在")
    return filing


def unit_filings(*, user, status="all"):
    label, states = STATUS_FILTERS.get(status, STATUS_FILTERS["all"])
    qs = TrainingFiling.objects.filter(organisation__in=jurisdiction.administered_units(user)).select_related("organisation", "current_org")
    if states:
        qs = qs.filter(state__in=states)
    return qs.order_by("-created_at", "-id")


def filing_queue(*, user, filters):
    """备案 waiting at one of the reviewer's organisations (department or bureau)."""
    orgs = jurisdiction.reviewing_organisations(user, State.SUPERIOR_REVIEW, State.BUREAU_REVIEW)
    qs = TrainingFiling.objects.select_related("organisation", "current_org").order_by("waiting_since", "id")
    if filters.get("status") == "done":
        qs = qs.filter(steps__organisation__in=orgs, steps__action__in=["approve", "reject"]).distinct()
    else:
        qs = qs.filter(state__in=PENDING_STATES, current_org__in=orgs)
    if filters.get("year"):
        qs = qs.filter(year=filters["year"])
    if filters.get("name"):
        qs = qs.filter(Q(name__icontains=filters["name"]) | Q(organisation__name__icontains=filters["name"]))
    return qs


def approved_filings_for(declaration):
    """单位继续教育备案 on the case page: the unit's approved filings in the declaration's years."""
    return list(
        TrainingFiling.objects.filter(
            organisation=declaration.organisation, state=State.APPROVED,
            year__gte=declaration.start_year, year__lte=declaration.end_year,
        ).order_by("year", "planned_start", "id")
    )


# --- what changed since the rejection (the case page after a resubmission) ----------------------


def rejection_snapshot(declaration):
    """The declaration's items and files as a rejection leaves them, by id with how the case page
    names them; kept in the 审核不通过 step's details, so that after the applicant sends it again
    the reviewer sees what was added and removed (items are never edited in place, only added or
    deleted)."""
    policy = policy_for(declaration.rule_set)
    items = Item.objects.filter(year_record__declaration=declaration).select_related("year_record").order_by("id")
    return {
        "items": {str(i.pk): f"{i.year_record.year}年度“{i.title or _activity_label(policy, i.activity)}”" for i in items},
        "files": {str(e.pk): e.original_name for e in declaration.evidence.order_by("id")},
    }


def changes_since_rejection(steps, workspace):
    """For a declaration sent again after 审核不通过: its last rejection step and what the applicant
    changed since — items and files added (their ids, to mark the rows) and removed (their names).
    None when it was not rejected and sent again. `steps` are the declaration's steps in order and
    `workspace` its declaration_workspace(), both already read for the case page (no query here).
    A rejection recorded before the snapshot was kept finds the additions by time, not the removals."""
    steps = list(steps)
    rejected = [n for n, step in enumerate(steps) if step.action == Action.REJECT]
    if not rejected or not any(step.action == Action.SUBMIT for step in steps[rejected[-1] + 1:]):
        return None
    step = steps[rejected[-1]]
    items = [entry["item"] for year in workspace["years"] for entry in year["items"]]
    files = workspace["evidence"]
    snapshot = step.details.get("snapshot") if isinstance(step.details, dict) else None
    if not isinstance(snapshot, dict):
        return {
            "step": step, "complete": False, "removed_items": [], "removed_files": [],
            "added_items": {i.pk for i in items if i.created_at > step.created_at},
            "added_files": {e.pk for e in files if e.uploaded_at > step.created_at},
        }
    before_items, before_files = snapshot.get("items") or {}, snapshot.get("files") or {}
    item_ids, file_ids = {str(i.pk) for i in items}, {str(e.pk) for e in files}
    return {
        "step": step, "complete": True,
        "added_items": {i.pk for i in items if str(i.pk) not in before_items},
        "added_files": {e.pk for e in files if str(e.pk) not in before_files},
        "removed_items": [label for pk, label in before_items.items() if pk not in item_ids],
        "removed_files": [name for pk, name in before_files.items() if pk not in file_ids],
    }
