import json
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import services
from api import keys
from api.models import ApiKey
from accounts.models import Membership, MembershipStatus, Organisation, Role, User
from hours import services as hours_services, summary, transitions
from hours.models import EvidenceCategory
from portal.demo_work import demo_png, load_work
from review.services import filing_period_set

DEFAULT_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


class Command(BaseCommand):
    help = "载入演示省份：人社部门、主管部门、单位、专业技术人员和每个角色的演示账号（已载入则跳过）。"

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_FILE))

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取演示数据 {path}：{exc}")
        first = data["organisations"][0]["uscc"]
        if Organisation.objects.filter(uscc=first).exists():
            self.stdout.write("演示数据已存在，跳过。")
            return
        with transaction.atomic():
            declarations = load(data)
        people = len(data["people"]) + len(data.get("work_people", []))
        self.stdout.write(self.style.SUCCESS(
            f"已载入演示数据：{len(data['organisations'])} 个机构，{people} 名专业技术人员，"
            f"{len({s['username'] for s in data['staff_accounts']})} 个管理账号，{declarations} 件学时申报。"
        ))


def load(data):
    password = data["password"]
    orgs = {}
    for spec in data["organisations"]:
        spec = dict(spec)
        key = spec.pop("key")
        parent = orgs.get(spec.pop("parent", None))
        bureau = orgs.get(spec.pop("bureau", None))
        orgs[key] = services.organisation_create(parent=parent, bureau=bureau, **spec)

    staff = {}
    for spec in data["staff_accounts"]:
        organisation = orgs.get(spec.get("organisation"))
        if spec["username"] in staff:
            services.role_grant(user=staff[spec["username"]], role=spec["role"], organisation=organisation)
            continue
        staff[spec["username"]] = services.staff_account_create(
            username=spec["username"], name=spec["name"], password=password, role=spec["role"], organisation=organisation
        )

    people = []
    for spec in data["people"]:
        person = services.person_register(
            id_number=spec["id_number"],
            name=spec["name"],
            phone=spec["phone"],
            password=password,
            organisation=orgs[spec["unit"]],
            ethnicity=spec["ethnicity"],
            education=spec["education"],
        )
        for grant in spec.get("roles", []):
            services.role_grant(user=person, role=grant["role"], organisation=orgs[grant["organisation"]])
        people.append((person, spec))

    admins = {}
    for user in User.objects.filter(role_grants__role=Role.UNIT_ADMIN).prefetch_related("role_grants"):
        for grant in user.role_grants.all():
            if grant.role == Role.UNIT_ADMIN:
                admins.setdefault(grant.organisation_id, user)
    for person, spec in people:
        if spec["membership"] != "active":
            continue
        membership = Membership.objects.get(person=person, status=MembershipStatus.PENDING)
        services.membership_confirm(membership=membership, actor=admins[membership.organisation_id])

    today = timezone.localdate()
    for spec in data.get("filing_periods", []):
        bureau = orgs[spec["bureau"]]
        clerk = User.objects.filter(role_grants__role=Role.BUREAU_CLERK, role_grants__organisation=bureau).first()
        # A year's window lies within the year (review/services.filing_period_problem).
        filing_period_set(
            bureau=bureau,
            year=today.year,
            opens_on=max(today - timedelta(days=spec["opens_days_ago"]), date(today.year, 1, 1)),
            closes_on=min(today + timedelta(days=spec["closes_in_days"]), date(today.year, 12, 31)),
            supervision_days=spec["supervision_days"],
            user=clerk,
        )

    for spec in data.get("api_keys", []):
        _api_key(spec, orgs)

    for spec in data.get("declarations", []):
        _approved_history(spec, orgs)
    # The work in hand at every level (portal/demo_work.py); the number of declarations made.
    made = len(data.get("declarations", [])) + load_work(data, orgs)
    summary.overdue_refresh()  # 查询统计's 督办, as the daily job counts it
    return made


def _api_key(spec, orgs):
    """A key with the fixed string the README's examples use; only its digest is stored, as for
    keys made in 接口密钥 (which makes random ones)."""
    ApiKey.objects.create(
        organisation=orgs[spec["organisation"]], name=spec["name"], prefix=spec["key"].split("_")[1],
        key_hash=keys.digest(spec["key"]), subjects=spec["subjects"], bureau=orgs.get(spec["bureau"]),
        source=spec["source"], created_by=User.objects.get(username=spec["created_by"]),
    )


def _approved_history(spec, orgs):
    """A declaration taken through every level by the people who would review it."""
    applicant = User.objects.get(id_number=spec["applicant"])
    data = {"name": applicant.name, "gender": applicant.gender, "ethnicity": applicant.ethnicity,
            "phone": applicant.phone, "education": applicant.education, **spec["profile"]}
    declaration = hours_services.declaration_create(
        user=applicant, applicant=applicant, data=data, start_year=spec["start_year"], end_year=spec["end_year"]
    )
    for year in range(spec["start_year"], spec["end_year"] + 1):
        record = hours_services.year_record_add(declaration=declaration, user=applicant, year=year)
        for item_spec in spec["items"]:
            item = hours_services.item_add(
                year_record=record, user=applicant, activity=item_spec["activity"], facts={**item_spec["facts"], "year": year}
            )
            for material in item_spec["materials"]:
                hours_services.evidence_add(
                    declaration=declaration, user=applicant, category=EvidenceCategory.ITEM, item=item, material=material,
                    upload=demo_png(f"{applicant.name}-{year}-{material}"),
                )
    for category in (EvidenceCategory.EDUCATION, EvidenceCategory.HOURS):
        hours_services.evidence_add(declaration=declaration, user=applicant, category=category, upload=demo_png(f"{applicant.name}-{category}"))
    declaration = transitions.declaration_submit(declaration=declaration, user=applicant, pledge=True)
    for step in spec["route"]:
        reviewer = User.objects.filter(username=step["reviewer"]).first() or User.objects.get(id_number=step["reviewer"])
        declaration = transitions.declaration_approve(
            declaration=declaration, user=reviewer, next_org=orgs.get(step.get("next")), opinion="符合要求，同意。"
        )
