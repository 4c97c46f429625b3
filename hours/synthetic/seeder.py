"""Builds one synthetic province: the organisation tree, its staff, the professionals, and their
declarations with year records, training items and review steps (see the package's docstring)."""
import math
import random
import re
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import CharField, Max, Value
from django.db.models.functions import Cast, Concat, ExtractDay, ExtractMonth, ExtractYear, LPad
from django.utils import timezone

from accounts.models import (
    Membership,
    MembershipStatus,
    Nature,
    Organisation,
    OrganisationKind,
    Role,
    RoleGrant,
    User,
)
from hours import summary
from hours.models import Declaration, Item, RuleSet, YearRecord
from hours.models import ReviewStep

from .data import (
    ALL_YEARS_COUNTIES,
    BRANDS,
    CENTRAL,
    CITIES,
    DEPARTMENTS,
    EDUCATION_WEIGHTS,
    ETHNICITY_WEIGHTS,
    GIVEN,
    GOV,
    INDUSTRIES,
    MOBILE_PREFIXES,
    PASSWORD,
    PROFESSIONAL_FORMS,
    PROVINCE,
    PUBLIC_THEMES,
    REGION_WEIGHTS,
    RULE_SET_CODE,
    SOCIETIES,
    SOE,
    STANDALONE_PROFILE,
    SURNAMES,
    TITLES,
    YEARS,
    cn_ordinal,
    county_valid_in,
    credit_code,
    id_number,
    shares,
)
from .history import FIRST, LAST, SUPERIOR, Histories
from .writer import INSERT_ROWS, Writer


class UnitInfo:
    """What people and declarations need to know about a unit: where it climbs (superiors, bureau),
    what its people declare, and its administrator (a user id), who confirmed their memberships."""

    __slots__ = ("org", "region", "bureau", "superiors", "admin", "category", "specialties")

    def __init__(self, org, region, bureau, superiors, category, specialties):
        self.org, self.region, self.bureau, self.superiors = org, region, bureau, superiors
        self.category, self.specialties = category, specialties
        self.admin = None


class Seeder:
    """Builds one synthetic province; `run()` does it all and leaves the counts in `counts`."""

    def __init__(self, *, declarations, units, seed, batch_size, write):
        self.n = declarations
        self.units_wanted = units
        self.rng = random.Random(seed)
        self.batch_size = batch_size
        self.write = write
        self.now = timezone.now()
        self.counts = Counter()
        self.started = time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.started

    # -- identifiers, unique against what is stored ---------------------------------------------

    def load_taken(self):
        self.taken_ids = set(User.objects.exclude(id_number=None).values_list("id_number", flat=True))
        self.taken_usernames = set(User.objects.values_list("username", flat=True))
        self.taken_phones = set(User.objects.exclude(phone="").values_list("phone", flat=True))
        self.taken_phones |= set(Organisation.objects.exclude(contact_phone="").values_list("contact_phone", flat=True))
        self.taken_usccs = set(Organisation.objects.values_list("uscc", flat=True))
        runs = [int(m.group(1)) for m in map(re.compile(r"^syn(\d+)-").match, self.taken_usernames) if m]
        self.run = max(runs, default=0) + 1
        last_root = Organisation.objects.filter(depth=1).aggregate(last=Max("path"))["last"]
        self.next_root = Organisation._str2int(last_root) + 1 if last_root else 1

    def new_phone(self):
        while True:
            phone = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if phone not in self.taken_phones:
                self.taken_phones.add(phone)
                return phone

    def new_id_number(self, counties):
        rng = self.rng
        while True:
            born = date(1963, 1, 1) + timedelta(days=int(rng.triangular(0, 36 * 365, 20 * 365)))
            valid = [c for c in counties if county_valid_in(c, born.year)] or ALL_YEARS_COUNTIES
            number = id_number(f"{rng.choice(valid)}{born:%Y%m%d}{rng.randrange(1000):03d}")
            if number not in self.taken_ids and number not in self.taken_usernames:
                self.taken_ids.add(number)
                return number

    def new_uscc(self, nature, kind, region):
        if kind in (OrganisationKind.BUREAU, OrganisationKind.DEPARTMENT) or nature == Nature.GOVERNMENT:
            prefix = "11"
        elif nature == Nature.PUBLIC_INSTITUTION:
            prefix = "12"
        elif nature == Nature.SOCIAL:
            prefix = self.rng.choice(["51", "52"])
        else:
            prefix = "91"
        while True:
            if prefix == "91" and self.rng.random() < 0.5:  # newer codes: MA + six characters
                body = "MA" + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
            else:
                body = f"{self.rng.randrange(10**8):08d}"
            code = credit_code(prefix, region, body)
            if code not in self.taken_usccs:
                self.taken_usccs.add(code)
                return code

    def new_name(self):
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(SURNAMES) + given

    # -- organisations ---------------------------------------------------------------------------

    def build_organisations(self):
        """The tree in memory, with paths computed here, then two bulk inserts (bureaus first)."""
        rng = self.rng
        regions = [PROVINCE + ({},)] + [(label, label, short, code, counties)
                                        for label, short, code, counties in CITIES]
        per_region = shares(self.units_wanted, REGION_WEIGHTS)
        nodes = []  # (organisation, parent organisation or None), parents before children
        contacts = {}  # id(organisation) → (name, phone) of its administrator
        used_names = set()

        def node(parent, *, uscc_region, **fields):
            name, phone = self.new_name(), self.new_phone()
            org = Organisation(contact_name=name, contact_phone=phone, **fields)
            org.uscc = self.new_uscc(org.nature, org.kind, uscc_region)
            nodes.append((org, parent))
            contacts[id(org)] = (name, phone)
            used_names.add(org.name)
            return org

        def unique(make):
            for k in range(1, 100):
                name = make(k)
                if name not in used_names:
                    return name
            return f"{make(1)}（{len(used_names)}）"

        province = node(None, name=f"{PROVINCE[1]}人力资源和社会保障厅", kind=OrganisationKind.BUREAU,
                        nature=GOV, region=PROVINCE[0], uscc_region=PROVINCE[3])
        bureaus = [province] + [
            node(province, name=f"{label}人力资源和社会保障局", kind=OrganisationKind.BUREAU, nature=GOV,
                 region=label, uscc_region=code)
            for label, _, code, _ in CITIES
        ]
        self.units, self.departments = [], []
        self.bureaus = bureaus
        self.region_counties = {}
        all_counties = [c for _, _, _, counties in CITIES for c in counties]
        for (label, place, short, code, counties), bureau, u in zip(regions, bureaus, per_region):
            self.region_counties[label] = list(counties) or all_counties
            places = [(place, code)] + list(((name, c) for c, name in counties.items()))
            standalone, third = int(u * 0.1), int(u * 0.2)
            second = u - standalone - third
            dept_count = min(len(DEPARTMENTS), max(1, math.ceil(second / 15))) if second else 0
            level_two = []
            for spec in rng.sample(DEPARTMENTS, dept_count):
                provincial_name, city_name, templates, category, specialties = spec
                dept_name = f"{place}{provincial_name}" if bureau is province else f"{place}{city_name}"
                dept = node(None, name=unique(lambda k: dept_name if k == 1 else f"{dept_name}（{cn_ordinal(k)}）"),
                            kind=OrganisationKind.DEPARTMENT, nature=GOV, bureau=bureau, region=label,
                            uscc_region=code)
                level_two.append((dept, spec))
            for i in range(second):
                dept, spec = level_two[i % dept_count] if i < dept_count else rng.choice(level_two)
                suffix, numbered, nature = rng.choice(spec[2])
                at, at_code = places[0] if rng.random() < 0.5 else rng.choice(places)
                name = unique(lambda k: f"{at}第{cn_ordinal(k)}{suffix}" if numbered or k > 1 else f"{at}{suffix}")
                org = node(dept, name=name, kind=OrganisationKind.UNIT, nature=nature, bureau=bureau, region=label,
                           uscc_region=at_code)
                self.units.append(UnitInfo(org, label, bureau, [dept], spec[3], spec[4]))
            parents = self.units[-second:] if second else []
            parents = rng.sample(parents, min(len(parents), third // 3 + 1)) if third else []
            for _ in range(third):
                parent = rng.choice(parents)
                if parent.org.nature == SOE:
                    base = parent.org.name.removesuffix("有限公司")
                    make = lambda k, base=base: f"{base}第{cn_ordinal(k)}分公司"  # noqa: E731
                else:
                    make = lambda k, parent=parent: f"{parent.org.name}第{cn_ordinal(k)}分院"  # noqa: E731
                org = node(parent.org, name=unique(make), kind=OrganisationKind.UNIT, nature=parent.org.nature,
                           bureau=bureau, region=label, uscc_region=parent.org.uscc[2:8])
                self.units.append(UnitInfo(org, label, bureau, [parent.org] + parent.superiors, parent.category,
                                           parent.specialties))
            for _ in range(standalone):
                at, at_code = rng.choice(places)
                roll = rng.random()
                if roll < 0.6:
                    nature = Nature.NON_PUBLIC
                    make = lambda k, at=at: f"{at}{rng.choice(BRANDS)}{rng.choice(INDUSTRIES)}有限公司"  # noqa: E731
                elif roll < 0.8:
                    nature = Nature.SOCIAL
                    make = lambda k, at=at: f"{at}{rng.choice(SOCIETIES)}"  # noqa: E731
                else:
                    nature = Nature.CENTRAL
                    company, branch = rng.choice(CENTRAL)
                    company = company.format(province=PROVINCE[1])
                    make = lambda k, company=company, branch=branch: (  # noqa: E731
                        f"{company}{short}{'' if k == 1 else cn_ordinal(k)}{branch}")
                org = node(None, name=unique(make), kind=OrganisationKind.UNIT, nature=nature, bureau=bureau,
                           region=label, uscc_region=at_code)
                self.units.append(UnitInfo(org, label, bureau, [], *STANDALONE_PROFILE))
            self.departments += [dept for dept, _ in level_two]

        children = Counter()
        for org, parent in nodes:
            if parent is None:
                org.depth, position = 1, self.next_root
                self.next_root += 1
            else:
                children[id(parent)] += 1
                org.depth, position = parent.depth + 1, children[id(parent)]
            org.path = Organisation._get_path(parent.path if parent else None, org.depth, position)
        for org, _ in nodes:
            org.numchild = children[id(org)]

        with transaction.atomic():
            Organisation.objects.bulk_create(bureaus, batch_size=INSERT_ROWS)
            # bulk_create takes the bureaus' new ids from the related objects.
            Organisation.objects.bulk_create([org for org, _ in nodes if org.kind != OrganisationKind.BUREAU],
                                             batch_size=INSERT_ROWS)
        self.contacts = contacts
        self.counts["机构·人社部门"] = len(bureaus)
        self.counts["机构·主管部门"] = len(self.departments)
        self.counts["机构·单位"] = len(self.units)
        self.write(f"机构：{len(nodes):,} 个（人社部门 {len(bureaus)}，主管部门 {len(self.departments)}，"
                   f"单位 {len(self.units):,}）  {self.elapsed():.1f} 秒")

    # -- people ----------------------------------------------------------------------------------

    def build_staff(self):
        """The reviewers the levels need: one administrator per unit, who acts at its first level
        (and as a superior when units are below it), one per department, acting as a superior, and
        clerks per bureau for the last level; the administrators' names are the organisations' contacts."""
        users, grants = [], []  # grants as (index into users, role, organisation)

        def staff(username, contact, *roles):
            name, phone = contact
            users.append({"username": f"syn{self.run}-{username}", "name": name, "phone": phone,
                          "password": self.password, "date_joined": self.now - timedelta(days=400)})
            grants.extend((len(users) - 1, role, org) for role, org in roles)
            return len(users) - 1

        admins = {}
        for i, info in enumerate(self.units, 1):
            roles = [(FIRST.role, info.org)] + ([(SUPERIOR.role, info.org)] if info.org.numchild else [])
            admins[info.org.pk] = staff(f"unit-{i:05d}", self.contacts[id(info.org)], *roles)
        for i, dept in enumerate(self.departments, 1):
            staff(f"dept-{i:04d}", self.contacts[id(dept)], (SUPERIOR.role, dept))
        for i, bureau in enumerate(self.bureaus):
            for k in range(1, 4 if i == 0 else 3):
                contact = self.contacts[id(bureau)] if k == 1 else (self.new_name(), self.new_phone())
                staff(f"clerk-{i:02d}-{k}", contact, (LAST.role, bureau))
        with transaction.atomic():
            pks = self.writer.insert(User, users, ids=True)
            self.writer.insert(RoleGrant, [{"user_id": pks[u], "role": role, "organisation_id": org.pk,
                                            "granted_at": self.now} for u, role, org in grants])
        for info in self.units:
            info.admin = pks[admins[info.org.pk]]
        self.staff = defaultdict(list)  # (organisation id, role) → user ids
        for u, role, org in grants:
            self.staff[org.pk, role].append(pks[u])
        self.counts["用户·管理账号"] = len(users)
        self.counts["角色授权"] += len(grants)
        self.write(f"管理账号：{len(users):,} 个（用户名 syn{self.run}-…，密码 {PASSWORD}）  {self.elapsed():.1f} 秒")

    def build_people(self, count):
        """Professionals: an applicant role, a confirmed membership, and the unit on their profile."""
        rng = self.rng
        ethnicities, ethnicity_weights = zip(*ETHNICITY_WEIGHTS.items())
        educations, education_weights = zip(*EDUCATION_WEIGHTS.items())
        titles, title_weights = zip(*TITLES.items())
        sizes = [rng.lognormvariate(0, 1) for _ in self.units]
        homes = rng.choices(range(len(self.units)), weights=sizes, k=count)
        self.people = []  # tuples of what declarations copy from the applicant
        for start in range(0, count, self.batch_size):
            users, requested = [], []
            for home in homes[start:start + self.batch_size]:
                info = self.units[home]
                number = self.new_id_number(self.region_counties[info.region])
                requested.append(self.now - timedelta(days=rng.uniform(200, 1500)))
                users.append({
                    "username": number, "id_number": number, "name": self.new_name(), "password": self.password,
                    "gender": "男" if int(number[16]) % 2 else "女",
                    "ethnicity": rng.choices(ethnicities, ethnicity_weights)[0], "phone": self.new_phone(),
                    "education": rng.choices(educations, education_weights)[0], "organisation_id": info.org.pk,
                    "date_joined": requested[-1],
                })
            chunk = homes[start:start + self.batch_size]
            with transaction.atomic():
                pks = self.writer.insert(User, users, ids=True)
                self.writer.insert(Membership, [
                    {"person_id": pk, "organisation_id": self.units[home].org.pk, "status": MembershipStatus.ACTIVE,
                     "requested_at": when, "decided_at": when + timedelta(hours=rng.uniform(1, 120)),
                     "decided_by_id": self.units[home].admin}
                    for pk, home, when in zip(pks, chunk, requested)
                ])
                self.writer.insert(RoleGrant, [{"user_id": pk, "role": Role.APPLICANT, "granted_at": when}
                                               for pk, when in zip(pks, requested)])
            for pk, home, user in zip(pks, chunk, users):
                self.people.append((pk, user["name"], user["id_number"], user["gender"], user["ethnicity"],
                                    user["phone"], user["education"], home, rng.choices(titles, title_weights)[0],
                                    rng.choice(self.units[home].specialties)))
        self.counts["用户·专业技术人员"] = count
        self.counts["单位人员关系"] = count
        self.counts["角色授权"] += count
        self.write(f"专业技术人员：{count:,} 名  {self.elapsed():.1f} 秒")

    # -- declarations ----------------------------------------------------------------------------

    def training(self, specialty, span):
        """Per year: 1–2 training items (8 hours a day, 4 a half day), most years one of each subject."""
        rng, years = self.rng, []
        for year in span:
            roll = rng.random()
            subjects = ["professional", "public"] if roll < 0.65 else (["professional"] if roll < 0.9 else ["public"])
            items = []
            for subject in subjects:
                if subject == "public":
                    days, half = rng.randint(2, 4), rng.choice((0, 0, 1))
                    title = f"{year}年{rng.choice(PUBLIC_THEMES)}公需科目培训"
                else:
                    days, half = rng.randint(3, 9), rng.choice((0, 0, 1, 2))
                    title = f"{year}年{specialty}{rng.choice(PROFESSIONAL_FORMS)}"
                items.append((subject, days, half, title, 8 * days + 4 * half))
            years.append((year, items))
        return years

    @staticmethod
    def spans(plans):
        """The years each plan declares. One declaration is open per person and span
        (declaration_one_open_per_span), so a person's earlier declarations are for other spans:
        the five years before (as for the title before this one), then other five-year spans,
        then shorter ones — every span a person is given differs from their others."""
        first = len(YEARS)
        choices = [
            range(end - length + 1, end + 1)
            for length in range(first, 0, -1)
            for end in sorted(range(2000 + length - 1, YEARS.stop), key=lambda end: ((YEARS.stop - 1 - end) % first != 0, -end))
        ]
        spans, seen = [None] * len(plans), Counter()
        for index in range(len(plans) - 1, -1, -1):  # the latest declaration of each person is for YEARS
            person = plans[index][3]
            spans[index] = choices[seen[person]]
            seen[person] += 1
        return spans

    def build_declarations(self):
        rule_set = RuleSet.objects.get(code=RULE_SET_CODE)
        histories = Histories(rng=self.rng, now=self.now, homes=[self.units[person[7]] for person in self.people],
                              staff=self.staff)
        plans = histories.plan(self.n)
        spans = self.spans(plans)
        hours = {h: Decimal(h) for h in range(1000)}
        zero = hours[0]
        done = 0
        self.by_state = Counter()
        for start in range(0, len(plans), self.batch_size):
            batch = plans[start:start + self.batch_size]
            declarations, contents, steps_of = [], [], []
            for plan, span in zip(batch, spans[start:start + self.batch_size]):
                created, submitted, state, person = plan
                pk, name, number, gender, ethnicity, phone, education, home, title, specialty = self.people[person]
                info = self.units[home]
                fields, steps = histories.steps(plan, info, pk)
                years = self.training(specialty, span)
                public = sum(h for _, items in years for s, *_, h in items if s == "public")
                professional = sum(h for _, items in years for s, *_, h in items if s != "public")
                declarations.append({
                    "state": state, "submitted_at": submitted, "applicant_id": pk, "organisation_id": info.org.pk,
                    "rule_set_id": rule_set.pk, "name": name, "id_number": number, "gender": gender,
                    "ethnicity": ethnicity, "phone": phone, "education": education, "title_sought": title,
                    "category": info.category, "specialty": specialty, "start_year": span[0],
                    "end_year": span[-1], "total_public": hours[public], "total_professional": hours[professional],
                    "pledged_at": submitted, "created_at": created, **fields,
                })
                contents.append(years)
                steps_of.append(steps)
                self.by_state[state] += 1
            with transaction.atomic():
                # 业务编号 as hours/services.py gives it: the day it was opened (local time) and its id.
                pks = self.writer.reserve_ids(Declaration, declarations)
                if pks:
                    for row in declarations:
                        row["business_no"] = f"{timezone.localtime(row['created_at']):%Y%m%d}{row['id']:07d}"
                pks = self.writer.insert(Declaration, declarations, ids=True)
                if "business_no" not in declarations[0]:
                    self.number(pks)
                records = [
                    {"declaration_id": pk, "year": year,
                     "public_hours": hours[sum(h for s, *_, h in items if s == "public")],
                     "professional_hours": hours[sum(h for s, *_, h in items if s != "public")]}
                    for pk, years in zip(pks, contents) for year, items in years
                ]
                record_pks = iter(self.writer.insert(YearRecord, records, ids=True))
                items_out = []
                for row, years in zip(declarations, contents):
                    for year, items in years:
                        record = next(record_pks)
                        for subject, days, half, title, h in items:
                            items_out.append({
                                "year_record_id": record, "applicant_id": row["applicant_id"], "activity": "training",
                                "facts": {"subject": subject, "days": days, "half_days": half, "title": title,
                                          "year": year},
                                "title": title, "public_hours": hours[h] if subject == "public" else zero,
                                "professional_hours": zero if subject == "public" else hours[h],
                                "counted_year": year, "created_at": row["created_at"],
                            })
                self.writer.insert(Item, items_out)
                steps_out = [dict(step, declaration_id=pk) for pk, steps in zip(pks, steps_of) for step in steps]
                self.writer.insert(ReviewStep, steps_out)
            done += len(batch)
            self.counts["年度明细"] += len(records)
            self.counts["学习项目"] += len(items_out)
            self.counts["审核记录"] += len(steps_out)
            self.write(f"申报：{done:,}/{len(plans):,}  {self.elapsed():.1f} 秒")
        self.counts["学时核认申报"] = len(plans)

    def number(self, pks):
        """业务编号 for backends without ids taken in advance: one UPDATE per 5,000 rows."""
        text = CharField()
        for start in range(0, len(pks), 5000):
            Declaration.objects.filter(pk__in=pks[start:start + 5000]).update(business_no=Concat(
                Cast(ExtractYear("created_at"), text),
                LPad(Cast(ExtractMonth("created_at"), text), 2, fill_text=Value("0")),
                LPad(Cast(ExtractDay("created_at"), text), 2, fill_text=Value("0")),
                LPad(Cast("id", text), 7, fill_text=Value("0")),
                output_field=text,
            ))

    def run(self):
        self.password = make_password(PASSWORD)
        self.writer = Writer(self.now)
        self.load_taken()
        self.write(f"第 {self.run} 批合成数据：{self.n:,} 份申报，约 {self.units_wanted:,} 个单位"
                   f"（写入方式：{'COPY' if self.writer.copy else 'bulk_create'}）")
        self.build_organisations()
        self.build_staff()
        self.build_people(max(1, round(self.n * 0.8)) if self.n else 0)
        self.by_state = Counter()
        if self.n:
            self.build_declarations()
        if self.writer.copy:
            self.writer.analyze(Organisation, User, RoleGrant, Membership, Declaration, YearRecord, Item, ReviewStep)
        # Written in bulk, past the transitions that keep the summary: counted afresh.
        summary.rebuild()

