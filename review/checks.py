"""校验规则: the automatic checks a reviewer sees on a case before deciding, and the blocking ones
that keep a case out of 校验全部通过 and out of any batch approval (review/services.py keeps the
verdict). Pure reads: the rules engine on the declaration's facts, and the database for work or
files another declaration already used."""
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

from core.inputs import safe_text
from hours import rules, selectors as hours_selectors
from hours.models import Evidence, Item, ItemSource
from hours.policies import identity_key


@dataclass(frozen=True)
class Check:
    ok: bool
    label: str
    detail: str = ""
    # A failed blocking check keeps the case out of 校验全部通过 and out of any batch approval. A
    # year below its requirement is not one: it is what the 学时认定单 reports (短缺), not a fault.
    blocking: bool = True


def failed_checks(declaration):
    """The blocking checks the declaration fails now (review/services.py keeps the verdict). Reads
    the declaration's files and items, and the other declarations they may repeat."""
    workspace = hours_selectors.declaration_workspace(declaration)
    return [check for check in automatic_checks(declaration, workspace) if check.blocking and not check.ok]


def automatic_checks(declaration, workspace):
    """校验规则: what the rules engine and the database say before a reviewer decides."""
    policy = workspace["policy"]
    checks = [Check(False, "申报数据按折算细则计算", problem) for problem in workspace["data_problems"]]
    for year in workspace["years"]:
        record = year["record"]
        for entry in year["items"]:
            item = entry["item"]
            # A sent record is named by its course (several are one activity, 培训班).
            name = entry["label"] if item.source == ItemSource.APPLICANT else item.title or entry["label"]
            if entry["recognised"] is not None:
                checks.append(Check(True, f"{record.year}年度“{name}”学时来自{_sender(item, entry['record'])}，按规定直接认定", entry["recognised"]))
                continue
            # The applicant's own hours are computed again from the facts (or set by the reviewer);
            # hours sent by a source the rule set does not recognise stand as sent, with files to check.
            if item.source == ItemSource.APPLICANT:
                if entry["determined"]:
                    determined = item.determined_at is not None
                    detail = f"已核定{item.total_hours.normalize():f}学时" if determined else "尚未核定，核定前计0学时"
                    checks.append(Check(determined, f"{record.year}年度“{entry['label']}”学时由审核单位核定", detail))
                    continue
                try:
                    credit = rules.credit(policy, item.activity, item.facts)
                    same = (credit.public, credit.professional) == (item.public_hours, item.professional_hours)
                    detail = "" if same else f"申报 {item.public_hours}/{item.professional_hours}，按折算细则应为 {credit.public}/{credit.professional}"
                    checks.append(Check(same, f"{record.year}年度“{entry['label']}”学时折算", detail))
                except rules.RuleError as exc:
                    checks.append(Check(False, f"{record.year}年度“{entry['label']}”学时折算", str(exc)))
            if entry["missing"]:
                checks.append(Check(False, f"{record.year}年度“{name}”佐证材料", "；".join(entry["missing"])))
        check = year["check"]
        detail = "" if check.compliant else (
            f"公需{check.declared.public}/{check.required.public}，专业{check.declared.professional}/{check.required.professional}，"
            f"合计{check.declared.total}/{check.required.total}"
        )
        checks.append(Check(
            check.compliant, f"{record.year}年度学时达标（公需{check.required.public}+专业{check.required.professional}）", detail,
            blocking=False,
        ))
    # The workspace already holds the declaration's files and items: no second look-up of either.
    checks.extend(_duplicate_evidence(declaration, workspace["evidence"]))
    items = sorted((entry["item"] for year in workspace["years"] for entry in year["items"]), key=lambda i: (i.created_at, i.pk))
    checks.extend(_own_repeats(declaration, policy, items))
    checks.extend(_conflicting_claims(declaration, items))
    return checks


def _sender(item, training_record):
    """Where an item's hours were sent from: the source, and the organisation that sent them."""
    org = training_record.source_org if training_record is not None else None
    return f"{item.get_source_display()}（{org.name}）" if org is not None else item.get_source_display()


def _own_repeats(declaration, policy, items):
    """The applicant's own work counted twice (the rule set's identity: a paper's title, a
    patent's number): twice in one year (stored before the database refused it), in two years of
    this declaration, or in another year of another of their declarations. The same year in another
    declaration is that year declared again and counts once, so it is not reported."""
    keyed = []
    for item in items:
        act = policy.activities.get(item.activity)
        if act is None or act.identity is None:
            continue
        try:  # from the facts, not the stored key: a repeat stored before the fix has none
            key = identity_key(policy, item.activity, item.facts, text=safe_text)
        except (rules.RuleError, ValidationError):
            continue
        keyed.append((item, act.identity.per, key))
    if not keyed:
        return []
    problems = []
    groups = {}
    for item, per, key in keyed:
        groups.setdefault((item.activity, key), (per, []))[1].append(item)
    for (activity, key), (per, group) in groups.items():
        name = group[0].title or group[0].reference_no or key
        years = Counter(i.counted_year for i in group)
        problems += [f"“{name}”在{year}年度申报了{n}次" for year, n in sorted(years.items()) if n > 1]
        if per == "work" and len(years) > 1:
            problems.append(f"“{name}”同时计入{'、'.join(map(str, sorted(years)))}年度")
    works = {(activity, key): group for (activity, key), (per, group) in groups.items() if per == "work"}
    if works:
        same = Q()
        for activity, key in works:
            same |= Q(activity=activity, identity_key=key)
        others = (
            Item.objects.filter(same, applicant_id=declaration.applicant_id)
            .exclude(year_record__declaration=declaration)
            .select_related("year_record__declaration")
            .order_by("year_record__declaration_id", "id")[:50]
        )
        for other in others:
            group = works[(other.activity, other.identity_key)]
            if all(i.counted_year != other.counted_year for i in group):
                name = group[0].title or group[0].reference_no or other.identity_key
                problems.append(f"“{name}”已在申报{other.year_record.declaration.business_no}的{other.counted_year}年度申报")
    if not problems:
        return [Check(True, "成果未重复申报")]
    return [Check(False, "成果重复申报", "；".join(problems))]


def _duplicate_evidence(declaration, mine):
    """The same file (by content hash) already used by another applicant, or for another year."""
    if not mine:
        return [Check(True, "佐证材料未与他人或其他年度重复")]
    by_hash = {}
    for e in mine:
        by_hash.setdefault(e.sha256, []).append(e)
    problems = []
    for group in by_hash.values():
        years = {e.year for e in group if e.year}
        if len(years) > 1:
            problems.append(f"“{group[0].original_name}”在本申报中同时用于{'、'.join(map(str, sorted(years)))}年度")
    others = (
        Evidence.objects.filter(sha256__in=by_hash)
        .exclude(declaration=declaration)
        .select_related("declaration")
        .order_by("id")[:50]
    )
    seen = set()
    for other in others:
        mine_e = by_hash[other.sha256][0]
        foreign = other.declaration.applicant_id != declaration.applicant_id
        other_year = other.year and mine_e.year and other.year != mine_e.year
        key = (other.sha256, other.declaration_id)
        if (foreign or other_year) and key not in seen:
            seen.add(key)
            who = f"{other.declaration.name}（{other.declaration.business_no}）"
            problems.append(f"“{mine_e.original_name}”与{who}{f'{other.year}年度' if other_year and not foreign else ''}的材料相同")
    if not problems:
        return [Check(True, "佐证材料未与他人或其他年度重复")]
    return [Check(False, "佐证材料重复使用", "；".join(problems))]


RANK_FACTS = ("author_rank", "rank")


def _conflicting_claims(declaration, items):
    """The same paper, book, patent or project (by number or title) claimed by another applicant
    with a conflicting rank, e.g. two first authors."""
    mine = [i for i in items if i.title or i.reference_no]
    if not mine:
        return []
    # Only a ranked claim can conflict. Training items have no rank, and their titles repeat by the
    # thousand (“2023年……公需科目培训”): looking those up cost 0.4 s a case at 100,000 declarations.
    ranked = [i for i in mine if any(f in i.facts for f in RANK_FACTS)]
    if not ranked:
        return [Check(True, "成果未与他人冲突")]
    keys = Q()
    for item in ranked:
        if item.reference_no:
            keys |= Q(activity=item.activity, reference_no=item.reference_no)
        if item.title:
            keys |= Q(activity=item.activity, title=item.title)
    others = (
        Item.objects.filter(keys)
        .exclude(year_record__declaration__applicant=declaration.applicant)
        .select_related("year_record__declaration")[:50]
    )
    problems = []
    for item in ranked:
        rank = next((item.facts.get(f) for f in RANK_FACTS if f in item.facts), None)
        for other in others:
            same = other.activity == item.activity and (
                (item.reference_no and other.reference_no == item.reference_no) or (item.title and other.title == item.title)
            )
            if not same:
                continue
            other_rank = next((other.facts.get(f) for f in RANK_FACTS if f in other.facts), None)
            if rank is not None and rank == other_rank:
                who = other.year_record.declaration
                problems.append(f"“{item.title or item.reference_no}”：{who.name}（{who.business_no}）也申报为第{rank}位")
    if not problems:
        return [Check(True, "成果未与他人冲突")]
    return [Check(False, "成果署名冲突", "；".join(problems))]
