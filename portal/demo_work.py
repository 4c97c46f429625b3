"""The demo's work in progress (fixtures/demo.json "work_people" and "work"): declarations in every
state at every level across the years, taken through the services and transitions at the moments
they would have happened, so that steps, waiting times (督办) and the summary tables agree as if
people had done it. `manage.py load_demo` calls `load_work` after the province is in place."""
import hashlib
import io
import random
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts import services
from accounts.models import Membership, MembershipStatus, OrganisationKind, Role, User
from certificates.services import certificate_issue
from hours import services as hours_services, transitions
from hours.models import EvidenceCategory
from hours.synthetic.data import OPINIONS, REJECT_REASONS
from review.services import filing_period_set
from workflow import jurisdiction

REVIEWER_ROLE = {OrganisationKind.BUREAU: Role.BUREAU_CLERK, OrganisationKind.DEPARTMENT: Role.DEPT_ADMIN}


def demo_png(key):
    """A small real image standing in for a scanned certificate; its pattern follows `key`, so
    that each file differs (the automatic checks flag a file used twice) and a reload draws the same."""
    image = Image.new("RGB", (360, 200), (250, 246, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle([8, 8, 351, 191], outline=(180, 40, 40), width=4)
    digest = hashlib.sha256(key.encode()).digest()
    for i, byte in enumerate(digest[:24]):
        x, y = 24 + (i % 8) * 40, 40 + (i // 8) * 44
        draw.rectangle([x, y, x + 12 + byte % 20, y + 10 + byte % 24], fill=(byte, 90, 255 - byte))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"scan-{digest.hex()[:10]}.png", buffer.getvalue(), content_type="image/png")


@contextmanager
def clock(moment):
    """`timezone.now()` (and so localdate, auto_now_add, the filing window and the steps) at `moment`."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def _at(day, hour, minutes):
    return timezone.make_aware(datetime.combine(day, time(hour)) + timedelta(minutes=minutes))


def _working_days(day, n):
    """The working day (Monday–Friday) n working days after `day` (before it for negative n)."""
    step = 1 if n >= 0 else -1
    while n:
        day += timedelta(days=step)
        if day.weekday() < 5:
            n -= step
    return day


def load_work(data, orgs):
    """The work people and their declarations; the number of declarations made."""
    work = data.get("work")
    if not work:
        return 0
    rng = random.Random(work["seed"])
    for spec in data.get("work_people", []):
        person = services.person_register(
            id_number=spec["id_number"], name=spec["name"], phone=spec["phone"], password=data["password"],
            organisation=orgs[spec["unit"]], ethnicity=spec["ethnicity"], education=spec["education"],
        )
        membership = Membership.objects.get(person=person, status=MembershipStatus.PENDING)
        services.membership_confirm(membership=membership, actor=_reviewer(orgs[spec["unit"]], person))

    today = timezone.localdate()
    windows = work["windows"]
    # Earlier years' windows, so that what was submitted then passed the window check of its day.
    for key in windows["bureaus"]:
        for year in range(windows["first_year"], today.year):
            filing_period_set(
                bureau=orgs[key], year=year, opens_on=date.fromisoformat(f"{year}-{windows['opens']}"),
                closes_on=date.fromisoformat(f"{year}-{windows['closes']}"), supervision_days=windows["supervision_days"],
                user=_reviewer(orgs[key], None),
            )

    keys = {org.pk: key for key, org in orgs.items()}
    people = {u.name: u for u in User.objects.filter(id_number__isnull=False)}
    for name, span, plan, stop, when, *extra in work["declarations"]:
        applicant = people[name]
        unit = keys[applicant.organisation_id]
        route = work["routes"][unit]
        # Its unit's administrator's own declaration starts one level up.
        levels = route[1:] if jurisdiction.administers_unit(applicant, applicant.organisation_id) else route
        _worked(
            rng, applicant,
            years=[y if y > 0 else today.year + y for y in span],  # 0 is this year, -1 the last
            plan=work["plans"][plan], profile=work["profiles"][unit], levels=[(k, orgs[k]) for k in levels],
            first_level_chosen=len(levels) < len(route), stop=stop, days=_days(rng, when, today, _events(levels, stop)),
            reuse=(extra or [{}])[0].get("reuse"),
        )
    # 学时认定单 already downloaded (宋庆涛's 2019–2023), so that a bureau's 撤销认定 of one of their
    # years shows on the verification page at once. The QR code points at `make run`'s address.
    base_url = settings.CERT_VERIFY_BASE_URL or "http://127.0.0.1:8000"
    for name, start_year, end_year in work.get("certificates", []):
        certificate_issue(user=people[name], start_year=start_year, end_year=end_year, base_url=base_url)
    return len(work["declarations"])


def _reviewer(org, applicant):
    """Who decides at `org` (its unit administrator, department administrator or clerk), never the applicant."""
    role = REVIEWER_ROLE.get(org.kind, Role.UNIT_ADMIN)
    reviewers = User.objects.filter(role_grants__role=role, role_grants__organisation=org)
    if applicant is not None:
        reviewers = reviewers.exclude(pk=applicant.pk)
    return reviewers.order_by("pk").first()


def _events(levels, stop):
    """How many dated events: the submission and each decision up to where it stops (1: a draft's creation)."""
    if stop == "draft":
        return 1
    if stop == "approved":
        return 1 + len(levels)
    where = stop.removeprefix("rejected@")
    return 1 + levels.index(where) + (where != stop)


def _days(rng, when, today, events):
    """The working days of the events: from a submission day given as a date, each decision a few
    working days after the last; or ending `when` working days ago (the work still in hand)."""
    if isinstance(when, str):
        days = [date.fromisoformat(when)]
        while len(days) < events:
            days.append(_working_days(days[-1], rng.randint(1, 8)))
        return days
    days = [_working_days(today, -when)]
    while len(days) < events:
        days.insert(0, _working_days(days[0], -rng.randint(1, 2)))
    return days


def _worked(rng, applicant, *, years, plan, profile, levels, first_level_chosen, stop, days, reuse):
    """One declaration, drafted and submitted by its applicant and decided level by level by the
    reviewers there, each at its moment, until it waits where `stop` says, is approved or rejected."""
    first, last = years
    with clock(_at(days[0], 9, rng.randrange(50))):
        data = {"name": applicant.name, "gender": applicant.gender, "ethnicity": applicant.ethnicity,
                "phone": applicant.phone, "education": applicant.education, **profile}
        declaration = hours_services.declaration_create(
            user=applicant, applicant=applicant, data=data, start_year=first, end_year=last
        )
        for year in range(first, last + 1):
            record = hours_services.year_record_add(declaration=declaration, user=applicant, year=year)
            for index, spec in enumerate(plan):
                facts = {**spec["facts"], "year": year}
                if "title" in facts:
                    facts["title"] = facts["title"].format(year=year)
                item = hours_services.item_add(year_record=record, user=applicant, activity=spec["activity"], facts=facts)
                # One scan for the item's materials (a notice and certificate on one page), as people upload them.
                key = reuse if reuse and year == first and index == 0 else f"{applicant.name}-{year}-{index}"
                hours_services.evidence_add(
                    declaration=declaration, user=applicant, category=EvidenceCategory.ITEM, item=item,
                    materials=spec["materials"], upload=demo_png(key),
                )
        if stop == "draft":
            return declaration  # the 学历 and 学时 files still to come
        for category in (EvidenceCategory.EDUCATION, EvidenceCategory.HOURS):
            hours_services.evidence_add(
                declaration=declaration, user=applicant, category=category, upload=demo_png(f"{applicant.name}-{first}-{category}")
            )
    with clock(_at(days[0], 10, rng.randrange(50))):
        declaration = transitions.declaration_submit(
            declaration=declaration, user=applicant, pledge=True, next_org=levels[0][1] if first_level_chosen else None
        )
    above = [org for _, org in levels[1:]] + [None]
    for day, (key, org), next_org in zip(days[1:], levels, above):
        reviewer = _reviewer(org, applicant)
        with clock(_at(day, 14, rng.randrange(120))):
            if stop == f"rejected@{key}":
                return transitions.declaration_reject(declaration=declaration, user=reviewer, reason=rng.choice(REJECT_REASONS))
            declaration = transitions.declaration_approve(
                declaration=declaration, user=reviewer, next_org=next_org, opinion=rng.choice(OPINIONS[declaration.state])
            )
    return declaration
